// kg_test_env.hpp: test knobs read from the environment (KG_SEED, KG_CASE,
// KG_RANDOM_CASES, ...), shared by every GoogleTest suite.
#pragma once

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>

namespace kgtest {

// The value of environment variable `name` as an unsigned 64-bit number
// (decimal, 0x hex or 0 octal), or `dflt` when it is unset or empty. A value
// that is not a whole number in range throws std::invalid_argument naming the
// variable, so a mistyped knob fails the test instead of silently becoming 0.
inline uint64_t env_u64(const char* name, uint64_t dflt) {
  const char* s = std::getenv(name);
  if (!s || !*s) return dflt;
  errno = 0;
  char* end = nullptr;
  const unsigned long long v = std::strtoull(s, &end, 0);
  if (errno || end == s || *end != '\0' || *s == '-' || *s == '+' || *s == ' ')
    throw std::invalid_argument(std::string(name) + "='" + s + "' is not an unsigned number");
  return static_cast<uint64_t>(v);
}

}  // namespace kgtest
