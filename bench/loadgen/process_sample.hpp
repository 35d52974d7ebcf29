#pragma once
// CPU time and resident memory of a process from /proc (proc(5)): what the load generator
// reads of the gateway (ours or Janus) before and after a measured window.
//
// Threads: any.
#include <sys/types.h>

#include <optional>

namespace sipgw::loadgen {

struct ProcessSample {
  double cpu_seconds = 0;   // utime + stime of every thread, seconds
  double rss_kib = 0;       // VmRSS, KiB
  long threads = 0;         // Threads
};

/// nullopt when the process does not exist or /proc cannot be read.
std::optional<ProcessSample> sample_process(pid_t pid);

}  // namespace sipgw::loadgen
