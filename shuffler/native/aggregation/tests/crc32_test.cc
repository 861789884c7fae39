#include "shuffler/native/aggregation/crc32.h"

#include <cstdint>
#include <string>

#include "shuffler/native/testing/harness.h"

using fcp::aggregation::Crc32;

namespace {

uint32_t Of(const std::string& text, uint32_t crc = 0) {
  return Crc32(reinterpret_cast<const uint8_t*>(text.data()), text.size(), crc);
}

}  // namespace

// The check value of CRC-32/ISO-HDLC (the CRC of zlib and java.util.zip.CRC32) is 0xCBF43926.
TEST(StandardCheckValue) { EXPECT_EQ(Of("123456789"), 0xCBF43926u); }

TEST(EmptyInputIsZero) { EXPECT_EQ(Of(""), 0u); }

// python3 -c 'import zlib; print(hex(zlib.crc32(b"The quick brown fox jumps over the lazy dog")))'
TEST(MatchesZlib) { EXPECT_EQ(Of("The quick brown fox jumps over the lazy dog"), 0x414FA339u); }

TEST(ContinuesAcrossChunks) {
  const std::string text = "The quick brown fox jumps over the lazy dog";
  for (size_t split = 0; split <= text.size(); ++split) {
    EXPECT_EQ(Of(text.substr(split), Of(text.substr(0, split))), Of(text));
  }
}
