// Checkpoints: named float32 tensors in the small binary format that README.md documents
// ("FCPCKPT\0", version 1, little-endian, CRC-32 trailer).
#ifndef SHUFFLER_NATIVE_AGGREGATION_CHECKPOINT_H_
#define SHUFFLER_NATIVE_AGGREGATION_CHECKPOINT_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace fcp::aggregation {

inline constexpr char kMagic[8] = {'F', 'C', 'P', 'C', 'K', 'P', 'T', '\0'};
inline constexpr uint32_t kFormatVersion = 1;

// Limits of the format. Every element count fits a Java array (int indices), and no header field
// of a corrupt checkpoint can make the reader allocate more than the checkpoint's own size.
inline constexpr size_t kMaxTensors = 65536;
inline constexpr size_t kMaxNameLength = 1024;
inline constexpr size_t kMaxRank = 8;
inline constexpr int64_t kMaxElements = 2147483647;  // 2^31 - 1, also the limit of each dimension

struct Tensor {
  std::string name;             // printable ASCII (0x20..0x7E), 1..kMaxNameLength bytes
  std::vector<int64_t> shape;   // empty for a scalar (one element)
  std::vector<float> values;    // row-major, as many as the shape's dimensions multiply to
};

using Checkpoint = std::vector<Tensor>;

// The number of elements of a tensor of this shape; InvalidInput if a dimension is negative or
// the count exceeds kMaxElements. `what` names the tensor in the message.
int64_t ElementCount(const std::vector<int64_t>& shape, const std::string& what);

// "[2, 3]", "[]" for a scalar.
std::string ShapeString(const std::vector<int64_t>& shape);

// The checkpoint's bytes. InvalidInput (naming the tensor) for a name that is empty, too long,
// not printable ASCII or used twice, a rank above kMaxRank, a bad dimension, or a value count
// that does not match the shape.
std::vector<uint8_t> EncodeCheckpoint(const Checkpoint& checkpoint);

// The tensors of `size` bytes at `data`. InvalidInput, naming the byte offset and tensor, for
// bytes that are not a checkpoint of this version, are truncated, have bytes after the last
// tensor, break a limit or rule above, or do not match their checksum.
Checkpoint DecodeCheckpoint(const uint8_t* data, size_t size);

}  // namespace fcp::aggregation

#endif  // SHUFFLER_NATIVE_AGGREGATION_CHECKPOINT_H_
