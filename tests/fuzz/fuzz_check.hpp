#pragma once
// Assertion for fuzz targets: prints what broke and aborts, so that libFuzzer (and the corpus
// replay runner) report the input as a crash. Unlike assert() it is never compiled out.
#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(cond, what)                                                              \
  do {                                                                                      \
    if (!(cond)) {                                                                          \
      std::fprintf(stderr, "%s:%d: FUZZ_CHECK(%s) failed: %s\n", __FILE__, __LINE__, #cond, \
                   (what));                                                                 \
      std::abort();                                                                         \
    }                                                                                       \
  } while (0)
