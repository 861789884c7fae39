#include "shuffler/native/testing/harness.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <iostream>
#include <string>
#include <utility>
#include <vector>

namespace native_testing {
namespace {

struct Failure {
  std::string message;
};

std::vector<std::pair<std::string, TestFunction>>& Registry() {
  static std::vector<std::pair<std::string, TestFunction>> tests;
  return tests;
}

std::string XmlEscape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

struct Result {
  std::string name;
  std::string failure;  // empty: passed
  double seconds;
};

void WriteXml(const char* path, const std::vector<Result>& results, int failed) {
  std::ofstream xml(path);
  xml << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n  <testsuite name=\"native\" tests=\""
      << results.size() << "\" failures=\"" << failed << "\">\n";
  for (const Result& r : results) {
    xml << "    <testcase name=\"" << XmlEscape(r.name) << "\" time=\"" << r.seconds << "\"";
    if (r.failure.empty()) {
      xml << "/>\n";
    } else {
      xml << ">\n      <failure message=\"" << XmlEscape(r.failure) << "\"/>\n    </testcase>\n";
    }
  }
  xml << "  </testsuite>\n</testsuites>\n";
}

}  // namespace

bool Register(const char* name, TestFunction function) {
  Registry().emplace_back(name, function);
  return true;
}

void Fail(const char* file, int line, const std::string& message) {
  throw Failure{std::string(file) + ":" + std::to_string(line) + ": " + message};
}

}  // namespace native_testing

int main() {
  using native_testing::Failure;
  auto tests = native_testing::Registry();
  std::sort(tests.begin(), tests.end());
  const char* filter = std::getenv("TESTBRIDGE_TEST_ONLY");
  std::vector<native_testing::Result> results;
  int failed = 0;
  for (const auto& [name, function] : tests) {
    if (filter != nullptr && *filter != '\0' && name.find(filter) == std::string::npos) continue;
    const auto started = std::chrono::steady_clock::now();
    std::string failure;
    try {
      function();
    } catch (const Failure& f) {
      failure = f.message;
    } catch (const std::exception& e) {
      failure = std::string("unexpected exception: ") + e.what();
    } catch (...) {
      failure = "unexpected exception of a type that is not std::exception";
    }
    const std::chrono::duration<double> seconds = std::chrono::steady_clock::now() - started;
    std::cout << (failure.empty() ? "PASS " : "FAIL ") << name << "\n";
    if (!failure.empty()) {
      std::cout << "    " << failure << "\n";
      ++failed;
    }
    results.push_back({name, failure, seconds.count()});
  }
  if (const char* xml = std::getenv("XML_OUTPUT_FILE"); xml != nullptr && *xml != '\0') {
    native_testing::WriteXml(xml, results, failed);
  }
  std::cout << results.size() - failed << " passed, " << failed << " failed" << std::endl;
  return failed == 0 && !results.empty() ? 0 : 1;
}
