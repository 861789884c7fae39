#include "shuffler/native/aggregation/checkpoint.h"

#include <cstdio>
#include <cstring>
#include <set>
#include <string>

#include "shuffler/native/aggregation/crc32.h"
#include "shuffler/native/aggregation/invalid_input.h"

namespace fcp::aggregation {
namespace {

std::string Quoted(const std::string& name) { return "'" + name + "'"; }

void CheckName(const std::string& name, const std::string& what) {
  if (name.empty()) throw InvalidInput(what + " has an empty name");
  if (name.size() > kMaxNameLength) {
    throw InvalidInput(what + " has a name of " + std::to_string(name.size()) + " bytes (at most " +
                       std::to_string(kMaxNameLength) + ")");
  }
  for (size_t i = 0; i < name.size(); ++i) {
    const auto c = static_cast<unsigned char>(name[i]);
    if (c < 0x20 || c > 0x7E) {
      throw InvalidInput(what + " has a name with byte " + std::to_string(c) + " at position " + std::to_string(i) +
                         "; names are printable ASCII (0x20..0x7E)");
    }
  }
}

// Little-endian output, whatever the machine's byte order.
class Writer {
 public:
  void Bytes(const void* data, size_t size) {
    const auto* p = static_cast<const uint8_t*>(data);
    out_.insert(out_.end(), p, p + size);
  }
  void U8(uint8_t v) { out_.push_back(v); }
  void U16(uint16_t v) { Unsigned(v, 2); }
  void U32(uint32_t v) { Unsigned(v, 4); }
  void U64(uint64_t v) { Unsigned(v, 8); }
  void F32(float v) {
    uint32_t bits;
    std::memcpy(&bits, &v, sizeof bits);
    U32(bits);
  }
  std::vector<uint8_t>& bytes() { return out_; }

 private:
  void Unsigned(uint64_t v, int size) {
    for (int i = 0; i < size; ++i) out_.push_back(static_cast<uint8_t>(v >> (8 * i)));
  }
  std::vector<uint8_t> out_;
};

// Bounds-checked little-endian input: a read past the end is a truncated checkpoint, reported
// with the offset and what was being read.
class Reader {
 public:
  Reader(const uint8_t* data, size_t size) : data_(data), size_(size) {}

  size_t offset() const { return offset_; }
  size_t left() const { return size_ - offset_; }

  void Need(size_t count, const std::string& what) const {
    if (count > left()) {
      throw InvalidInput("truncated at byte " + std::to_string(offset_) + ": " + what + " needs " +
                         std::to_string(count) + " bytes, only " + std::to_string(left()) + " left");
    }
  }
  const uint8_t* Bytes(size_t count, const std::string& what) {
    Need(count, what);
    const uint8_t* p = data_ + offset_;
    offset_ += count;
    return p;
  }
  uint64_t Unsigned(int size, const std::string& what) {
    const uint8_t* p = Bytes(size, what);
    uint64_t v = 0;
    for (int i = 0; i < size; ++i) v |= static_cast<uint64_t>(p[i]) << (8 * i);
    return v;
  }
  static float F32(const uint8_t* p) {
    const uint32_t bits = static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 |
                          static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[3]) << 24;
    float v;
    std::memcpy(&v, &bits, sizeof v);
    return v;
  }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t offset_ = 0;
};

}  // namespace

int64_t ElementCount(const std::vector<int64_t>& shape, const std::string& what) {
  int64_t count = 1;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] < 0) {
      throw InvalidInput(what + " has dimension " + std::to_string(i) + " of size " + std::to_string(shape[i]) +
                         "; sizes are not negative");
    }
    if (shape[i] > kMaxElements || (shape[i] != 0 && count > kMaxElements / shape[i])) {
      throw InvalidInput(what + " has shape " + ShapeString(shape) + ", more than " + std::to_string(kMaxElements) +
                         " elements");
    }
    count *= shape[i];
  }
  return count;
}

std::string ShapeString(const std::vector<int64_t>& shape) {
  std::string out = "[";
  for (size_t i = 0; i < shape.size(); ++i) out += (i ? ", " : "") + std::to_string(shape[i]);
  return out + "]";
}

std::vector<uint8_t> EncodeCheckpoint(const Checkpoint& checkpoint) {
  if (checkpoint.size() > kMaxTensors) {
    throw InvalidInput("a checkpoint holds at most " + std::to_string(kMaxTensors) + " tensors, not " +
                       std::to_string(checkpoint.size()));
  }
  std::set<std::string> names;
  Writer w;
  w.Bytes(kMagic, sizeof kMagic);
  w.U32(kFormatVersion);
  w.U32(static_cast<uint32_t>(checkpoint.size()));
  for (size_t t = 0; t < checkpoint.size(); ++t) {
    const Tensor& tensor = checkpoint[t];
    const std::string what = "tensor " + std::to_string(t);
    CheckName(tensor.name, what);
    const std::string named = "tensor " + Quoted(tensor.name);
    if (!names.insert(tensor.name).second) throw InvalidInput(named + " appears twice; names are unique");
    if (tensor.shape.size() > kMaxRank) {
      throw InvalidInput(named + " has rank " + std::to_string(tensor.shape.size()) + " (at most " +
                         std::to_string(kMaxRank) + ")");
    }
    const int64_t count = ElementCount(tensor.shape, named);
    if (static_cast<int64_t>(tensor.values.size()) != count) {
      throw InvalidInput(named + " has shape " + ShapeString(tensor.shape) + ", which holds " + std::to_string(count) +
                         " values, but " + std::to_string(tensor.values.size()) + " were given");
    }
    w.U16(static_cast<uint16_t>(tensor.name.size()));
    w.Bytes(tensor.name.data(), tensor.name.size());
    w.U8(static_cast<uint8_t>(tensor.shape.size()));
    for (int64_t dim : tensor.shape) w.U64(static_cast<uint64_t>(dim));
    for (float v : tensor.values) w.F32(v);
  }
  w.U32(Crc32(w.bytes().data(), w.bytes().size()));
  return std::move(w.bytes());
}

Checkpoint DecodeCheckpoint(const uint8_t* data, size_t size) {
  Reader r(data, size);
  const uint8_t* magic = r.Bytes(sizeof kMagic, "the magic number");
  if (std::memcmp(magic, kMagic, sizeof kMagic) != 0) {
    throw InvalidInput("not a checkpoint: the first 8 bytes are not \"FCPCKPT\\0\"");
  }
  const uint64_t version = r.Unsigned(4, "the version");
  if (version != kFormatVersion) {
    throw InvalidInput("checkpoint format version " + std::to_string(version) + " is not supported (this library reads " +
                       std::to_string(kFormatVersion) + ")");
  }
  const uint64_t count = r.Unsigned(4, "the tensor count");
  if (count > kMaxTensors) {
    throw InvalidInput("the header counts " + std::to_string(count) + " tensors (at most " +
                       std::to_string(kMaxTensors) + ")");
  }
  Checkpoint checkpoint;
  std::set<std::string> names;
  for (uint64_t t = 0; t < count; ++t) {
    const std::string what = "tensor " + std::to_string(t);
    const uint64_t name_length = r.Unsigned(2, "the name length of " + what);
    const uint8_t* name_bytes = r.Bytes(name_length, "the name of " + what);
    Tensor tensor;
    tensor.name.assign(reinterpret_cast<const char*>(name_bytes), name_length);
    CheckName(tensor.name, what);
    const std::string named = "tensor " + Quoted(tensor.name);
    if (!names.insert(tensor.name).second) throw InvalidInput(named + " appears twice; names are unique");
    const uint64_t rank = r.Unsigned(1, "the rank of " + named);
    if (rank > kMaxRank) {
      throw InvalidInput(named + " has rank " + std::to_string(rank) + " (at most " + std::to_string(kMaxRank) + ")");
    }
    for (uint64_t d = 0; d < rank; ++d) {
      const uint64_t dim = r.Unsigned(8, "dimension " + std::to_string(d) + " of " + named);
      if (dim > static_cast<uint64_t>(kMaxElements)) {
        throw InvalidInput(named + " has dimension " + std::to_string(d) + " of size " + std::to_string(dim) +
                           " (at most " + std::to_string(kMaxElements) + ")");
      }
      tensor.shape.push_back(static_cast<int64_t>(dim));
    }
    const int64_t elements = ElementCount(tensor.shape, named);
    // Checked before allocating, so a corrupt count cannot ask for more memory than the input has.
    const uint8_t* values = r.Bytes(static_cast<size_t>(elements) * 4,
                                    "the " + std::to_string(elements) + " values of " + named);
    tensor.values.resize(static_cast<size_t>(elements));
    for (int64_t i = 0; i < elements; ++i) tensor.values[i] = Reader::F32(values + 4 * i);
    checkpoint.push_back(std::move(tensor));
  }
  const size_t body = r.offset();
  const uint64_t stored = r.Unsigned(4, "the checksum");
  if (r.left() != 0) {
    throw InvalidInput(std::to_string(r.left()) + " unexpected bytes after the checksum at byte " + std::to_string(body));
  }
  const uint32_t computed = Crc32(data, body);
  if (stored != computed) {
    char text[80];
    std::snprintf(text, sizeof text, "checksum mismatch: stored 0x%08x, computed 0x%08x",
                  static_cast<unsigned>(stored), static_cast<unsigned>(computed));
    throw InvalidInput(std::string(text) + " (the checkpoint is corrupt)");
  }
  return checkpoint;
}

}  // namespace fcp::aggregation
