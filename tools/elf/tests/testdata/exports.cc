// A shared library with one exported function, one hidden and one local, that needs libc++.
#include <string>

__attribute__((visibility("default"))) int exported_answer(int x) { return static_cast<int>(std::to_string(x).size()); }

__attribute__((visibility("hidden"))) int hidden_answer() { return 42; }

static int local_answer() { return 7; }

__attribute__((visibility("default"))) int uses_both() { return hidden_answer() + local_answer(); }
