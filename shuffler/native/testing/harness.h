// A small test harness for cc_test targets: TEST(name) { ... } cases with EXPECT_* checks.
//
// GoogleTest is not in the Bazel Central Registry mirror we can reach, and Debian's libgtest-dev
// is compiled against libstdc++, which cannot link with code built for libc++; this is the part
// of it the tests here need. A failed check ends its test case. main() (harness.cc) runs every
// case in name order, honours Bazel's --test_filter (a substring of the case name), writes the
// JUnit XML Bazel asks for ($XML_OUTPUT_FILE), and prints `N passed, N failed` last.
#ifndef SHUFFLER_NATIVE_TESTING_HARNESS_H_
#define SHUFFLER_NATIVE_TESTING_HARNESS_H_

#include <cmath>
#include <sstream>
#include <string>

namespace native_testing {

using TestFunction = void (*)();

bool Register(const char* name, TestFunction function);

// Ends the running test case with a failure at file:line.
[[noreturn]] void Fail(const char* file, int line, const std::string& message);

template <typename T>
std::string Show(const T& value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

inline std::string Show(const std::string& value) { return "\"" + value + "\""; }
inline std::string Show(const char* value) { return Show(std::string(value)); }

}  // namespace native_testing

#define TEST(name)                                                                                  \
  static void name();                                                                               \
  [[maybe_unused]] static const bool name##_registered = ::native_testing::Register(#name, &name); \
  static void name()

#define EXPECT_TRUE(condition) \
  do {                          \
    if (!(condition)) ::native_testing::Fail(__FILE__, __LINE__, "expected " #condition); \
  } while (0)

#define EXPECT_EQ(actual, expected)                                                                     \
  do {                                                                                                  \
    const auto expect_actual_ = (actual); /* a copy: `actual` may be part of a temporary */          \
    const auto expect_expected_ = (expected);                                                           \
    if (!(expect_actual_ == expect_expected_)) {                                                        \
      ::native_testing::Fail(__FILE__, __LINE__,                                                        \
                             #actual " is " + ::native_testing::Show(expect_actual_) + ", expected " + \
                                 ::native_testing::Show(expect_expected_));                             \
    }                                                                                                   \
  } while (0)

#define EXPECT_NEAR(actual, expected, tolerance)                                                            \
  do {                                                                                                      \
    const double expect_actual_ = (actual);                                                                 \
    const double expect_expected_ = (expected);                                                             \
    if (!(std::fabs(expect_actual_ - expect_expected_) <= (tolerance))) {                                   \
      ::native_testing::Fail(__FILE__, __LINE__,                                                            \
                             #actual " is " + ::native_testing::Show(expect_actual_) + ", expected " +     \
                                 ::native_testing::Show(expect_expected_) + " within " #tolerance);         \
    }                                                                                                       \
  } while (0)

// `statement` throws `type` (or a subclass) whose what() contains `text`.
#define EXPECT_THROWS(statement, type, text)                                                          \
  do {                                                                                                \
    bool expect_thrown_ = false;                                                                      \
    try {                                                                                             \
      statement;                                                                                      \
    } catch (const type& expect_error_) {                                                             \
      expect_thrown_ = true;                                                                          \
      const std::string expect_what_ = expect_error_.what();                                          \
      if (expect_what_.find(text) == std::string::npos) {                                             \
        ::native_testing::Fail(__FILE__, __LINE__,                                                    \
                               #statement " threw \"" + expect_what_ + "\", expected it to contain " + \
                                   ::native_testing::Show(text));                                     \
      }                                                                                               \
    }                                                                                                 \
    if (!expect_thrown_) ::native_testing::Fail(__FILE__, __LINE__, #statement " did not throw " #type); \
  } while (0)

#endif  // SHUFFLER_NATIVE_TESTING_HARNESS_H_
