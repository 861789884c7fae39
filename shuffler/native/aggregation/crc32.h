// CRC-32 as zlib, PNG and java.util.zip.CRC32 compute it (IEEE 802.3, reflected, polynomial
// 0xEDB88320, initial and final XOR 0xFFFFFFFF), so a checkpoint's checksum can be checked by any
// of them without this library.
#ifndef SHUFFLER_NATIVE_AGGREGATION_CRC32_H_
#define SHUFFLER_NATIVE_AGGREGATION_CRC32_H_

#include <cstddef>
#include <cstdint>

namespace fcp::aggregation {

// The CRC-32 of `size` bytes at `data`, continuing from `crc` (the CRC of the bytes before them;
// 0 for none).
uint32_t Crc32(const uint8_t* data, size_t size, uint32_t crc = 0);

}  // namespace fcp::aggregation

#endif  // SHUFFLER_NATIVE_AGGREGATION_CRC32_H_
