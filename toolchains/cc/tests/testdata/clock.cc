// Uses the clock macros, __FILE__, a libc++ header's inline code and an exception, so its object
// file carries debug info with paths into the sysroot.
#include <stdexcept>
#include <string>

extern "C" __attribute__((visibility("default"))) const char* build_stamp() {
  static const std::string stamp = __DATE__ " " __TIME__ " " __TIMESTAMP__ " " __FILE__;
  return stamp.c_str();
}

extern "C" __attribute__((visibility("default"))) int checked(int x) {
  if (x < 0) throw std::invalid_argument("negative");
  return x * 2;
}
