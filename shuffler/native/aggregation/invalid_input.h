// Bad input from the caller: a malformed checkpoint, mismatched shapes, a bad weight. The JNI layer
// turns it into java.lang.IllegalArgumentException with the same message, so the message names
// what is wrong and where (which checkpoint, tensor, element).
#ifndef SHUFFLER_NATIVE_AGGREGATION_INVALID_INPUT_H_
#define SHUFFLER_NATIVE_AGGREGATION_INVALID_INPUT_H_

#include <stdexcept>

namespace fcp::aggregation {

class InvalidInput : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

}  // namespace fcp::aggregation

#endif  // SHUFFLER_NATIVE_AGGREGATION_INVALID_INPUT_H_
