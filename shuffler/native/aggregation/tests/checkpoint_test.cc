#include "shuffler/native/aggregation/checkpoint.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "shuffler/native/aggregation/crc32.h"
#include "shuffler/native/aggregation/invalid_input.h"
#include "shuffler/native/testing/harness.h"

using fcp::aggregation::Checkpoint;
using fcp::aggregation::Crc32;
using fcp::aggregation::DecodeCheckpoint;
using fcp::aggregation::EncodeCheckpoint;
using fcp::aggregation::InvalidInput;
using fcp::aggregation::Tensor;

namespace {

Checkpoint Sample() {
  return {
      {"dense/kernel", {2, 3}, {1.5f, -2.0f, 0.0f, 3.25f, -0.0f, 1e-40f}},
      {"dense/bias", {3}, {0.1f, std::numeric_limits<float>::max(), -1.0f}},
      {"step", {}, {7.0f}},
      {"empty", {0, 4}, {}},
  };
}

Checkpoint Decode(const std::vector<uint8_t>& bytes) { return DecodeCheckpoint(bytes.data(), bytes.size()); }

bool SameBits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

// Appends little-endian bytes, independently of the encoder under test.
void Put(std::vector<uint8_t>& out, uint64_t value, int size) {
  for (int i = 0; i < size; ++i) out.push_back(static_cast<uint8_t>(value >> (8 * i)));
}

void PutCrc(std::vector<uint8_t>& out) { Put(out, Crc32(out.data(), out.size()), 4); }

std::vector<uint8_t> Header(uint32_t version, uint32_t count) {
  std::vector<uint8_t> out = {'F', 'C', 'P', 'C', 'K', 'P', 'T', 0};
  Put(out, version, 4);
  Put(out, count, 4);
  return out;
}

}  // namespace

TEST(RoundTripKeepsNamesShapesAndBits) {
  const Checkpoint original = Sample();
  const Checkpoint decoded = Decode(EncodeCheckpoint(original));
  EXPECT_EQ(decoded.size(), original.size());
  for (size_t i = 0; i < original.size(); ++i) {
    EXPECT_EQ(decoded[i].name, original[i].name);
    EXPECT_TRUE(decoded[i].shape == original[i].shape);
    EXPECT_TRUE(SameBits(decoded[i].values, original[i].values));  // -0.0 and subnormals too
  }
}

TEST(EncodingIsTheDocumentedLayout) {
  const Checkpoint one = {{"w", {2}, {1.0f, -2.5f}}};
  std::vector<uint8_t> expected = Header(1, 1);
  Put(expected, 1, 2);      // name length
  expected.push_back('w');  // name
  expected.push_back(1);    // rank
  Put(expected, 2, 8);      // dimension 0
  Put(expected, 0x3F800000, 4);  // 1.0f
  Put(expected, 0xC0200000, 4);  // -2.5f
  PutCrc(expected);
  EXPECT_TRUE(EncodeCheckpoint(one) == expected);
  EXPECT_EQ(Decode(expected)[0].values[1], -2.5f);
}

TEST(EmptyCheckpointIsValid) { EXPECT_EQ(Decode(EncodeCheckpoint({})).size(), 0u); }

TEST(EveryTruncationIsReported) {
  const std::vector<uint8_t> bytes = EncodeCheckpoint(Sample());
  for (size_t size = 0; size < bytes.size(); ++size) {
    EXPECT_THROWS(DecodeCheckpoint(bytes.data(), size), InvalidInput, "");
  }
}

TEST(TruncationNamesWhatIsMissing) {
  const std::vector<uint8_t> bytes = EncodeCheckpoint({{"w", {4}, {1, 2, 3, 4}}});
  EXPECT_THROWS(DecodeCheckpoint(bytes.data(), 30), InvalidInput,
                "truncated at byte 28: the 4 values of tensor 'w' needs 16 bytes, only 2 left");
  EXPECT_THROWS(DecodeCheckpoint(bytes.data(), 3), InvalidInput, "the magic number needs 8 bytes, only 3 left");
}

TEST(EverySingleByteCorruptionIsReported) {
  const std::vector<uint8_t> bytes = EncodeCheckpoint(Sample());
  for (size_t i = 0; i < bytes.size(); ++i) {
    for (uint8_t flip : {0x01, 0x80, 0xFF}) {
      std::vector<uint8_t> corrupt = bytes;
      corrupt[i] ^= flip;
      EXPECT_THROWS(Decode(corrupt), InvalidInput, "");
    }
  }
}

TEST(ChecksumMismatchIsNamed) {
  std::vector<uint8_t> bytes = EncodeCheckpoint({{"w", {1}, {1.0f}}});
  bytes[bytes.size() - 6] ^= 0x01;  // inside the value
  EXPECT_THROWS(Decode(bytes), InvalidInput, "checksum mismatch: stored 0x");
}

TEST(BadMagicAndVersionAreNamed) {
  std::vector<uint8_t> bytes = EncodeCheckpoint({});
  bytes[0] = 'X';
  EXPECT_THROWS(Decode(bytes), InvalidInput, "not a checkpoint");
  std::vector<uint8_t> v2 = Header(2, 0);
  PutCrc(v2);
  EXPECT_THROWS(Decode(v2), InvalidInput, "checkpoint format version 2 is not supported (this library reads 1)");
}

TEST(TrailingBytesAreRefused) {
  std::vector<uint8_t> bytes = EncodeCheckpoint({{"w", {1}, {1.0f}}});
  bytes.push_back(0);
  EXPECT_THROWS(Decode(bytes), InvalidInput, "1 unexpected bytes after the checksum");
}

TEST(HugeCountsFailBeforeAllocating) {
  // A valid checksum over a header that claims 2^31 - 1 values in 4 bytes of data.
  std::vector<uint8_t> bytes = Header(1, 1);
  Put(bytes, 1, 2);
  bytes.push_back('w');
  bytes.push_back(1);
  Put(bytes, 2147483647, 8);
  Put(bytes, 0, 4);
  PutCrc(bytes);
  EXPECT_THROWS(Decode(bytes), InvalidInput, "the 2147483647 values of tensor 'w' needs 8589934588 bytes");
  std::vector<uint8_t> many = Header(1, 1u << 20);
  PutCrc(many);
  EXPECT_THROWS(Decode(many), InvalidInput, "the header counts 1048576 tensors (at most 65536)");
}

TEST(DecoderRefusesWhatTheEncoderRefuses) {
  std::vector<uint8_t> rank9 = Header(1, 1);
  Put(rank9, 1, 2);
  rank9.push_back('w');
  rank9.push_back(9);
  PutCrc(rank9);
  EXPECT_THROWS(Decode(rank9), InvalidInput, "tensor 'w' has rank 9 (at most 8)");
  std::vector<uint8_t> twice = Header(1, 2);
  for (int i = 0; i < 2; ++i) {
    Put(twice, 1, 2);
    twice.push_back('w');
    twice.push_back(0);
    Put(twice, 0, 4);
  }
  PutCrc(twice);
  EXPECT_THROWS(Decode(twice), InvalidInput, "tensor 'w' appears twice");
  std::vector<uint8_t> control = Header(1, 1);
  Put(control, 1, 2);
  control.push_back('\n');
  control.push_back(0);
  Put(control, 0, 4);
  PutCrc(control);
  EXPECT_THROWS(Decode(control), InvalidInput, "tensor 0 has a name with byte 10 at position 0");
}

TEST(EncoderChecksItsInput) {
  EXPECT_THROWS(EncodeCheckpoint({{"", {}, {1}}}), InvalidInput, "tensor 0 has an empty name");
  EXPECT_THROWS(EncodeCheckpoint({{"w", {2, 2}, {1, 2, 3}}}), InvalidInput,
                "tensor 'w' has shape [2, 2], which holds 4 values, but 3 were given");
  EXPECT_THROWS(EncodeCheckpoint({{"w", {-1}, {}}}), InvalidInput, "tensor 'w' has dimension 0 of size -1");
  EXPECT_THROWS(EncodeCheckpoint({{"w", {65536, 65536}, {}}}), InvalidInput,
                "tensor 'w' has shape [65536, 65536], more than 2147483647 elements");
  EXPECT_THROWS(EncodeCheckpoint({{"w", {1, 1, 1, 1, 1, 1, 1, 1, 1}, {1}}}), InvalidInput, "has rank 9");
  EXPECT_THROWS(EncodeCheckpoint({{"w", {}, {1}}, {"w", {}, {2}}}), InvalidInput, "tensor 'w' appears twice");
  EXPECT_THROWS(EncodeCheckpoint({{"caf\xc3\xa9", {}, {1}}}), InvalidInput, "byte 195 at position 3");
  EXPECT_THROWS(EncodeCheckpoint({{std::string(1025, 'x'), {}, {1}}}), InvalidInput, "a name of 1025 bytes");
}
