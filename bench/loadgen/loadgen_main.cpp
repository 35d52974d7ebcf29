// sipgw-loadgen: plays N WebRTC browsers against our gateway or Janus's SIP plugin and reports
// registration and call setup times, media round trip and loss, and the gateway's CPU and memory
// per call (docs/benchmarks.md, "Load"). Bounded: every phase has a deadline.
#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <nlohmann/json.hpp>
#include <sys/resource.h>

#include <cstdio>
#include <deque>
#include <mutex>
#include <fstream>
#include <iostream>
#include <map>

#include "bench/loadgen/load_client.hpp"
#include "bench/loadgen/media_pacer.hpp"
#include "bench/loadgen/percentiles.hpp"
#include "bench/loadgen/process_sample.hpp"
#include "bench/loadgen/webrtc_peer.hpp"
#include "gateway/media/dtls_certificate.hpp"
#include "gateway/media/dtls_context.hpp"
#include "gateway/media/media_worker.hpp"
#include "gateway/media/srtp_library.hpp"

namespace sipgw::loadgen {
namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;

struct Options {
  std::string target = "gateway";
  std::string url = "wss://127.0.0.1:8443/ws";
  std::string mode = "calls";
  size_t clients = 10;
  double rate = 20;
  double hold_s = 10;
  size_t workers = 1;
  unsigned first_user = 2000;
  std::string password_prefix = "pass";
  std::string domain = "127.0.0.1";
  uint16_t sip_port = 5060;
  std::string callee = "echo";
  pid_t pid = 0;
  double setup_timeout_s = 30;
  std::string json_path;
};

double ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

double own_cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

class Run {
 public:
  explicit Run(const Options& o) : o_(o), timer_(io_), pool_(o.workers) {
    media::SrtpLibrary::ensure_initialized();
    auto certificate = media::DtlsCertificate::generate();
    dtls_ = media::DtlsContext::for_certificate(certificate);
    fingerprint_ = certificate->sha256_fingerprint();
    for (size_t i = 0; i < o.workers; ++i) {
      auto& worker = pool_.next();
      media_.push_back({&worker, nullptr, std::make_unique<MediaCounters>()});
      auto* slot = &media_.back();
      worker.post([slot] { slot->pacer = std::make_unique<MediaPacer>(slot->worker->context()); });
      worker.barrier();
    }
  }

  ~Run() {
    clients_.clear();
    for (auto& m : media_) {
      m.worker->post([&m] { m.pacer.reset(); });
      m.worker->barrier();
    }
  }

  json execute() {
    if (o_.pid) before_ = sample_process(o_.pid);
    started_ = Clock::now();
    own_cpu_start_ = own_cpu_seconds();
    LoadClient::Target target{o_.target == "janus", o_.url, o_.callee};
    clients_.reserve(o_.clients);
    for (size_t i = 0; i < o_.clients; ++i) {
      SipAccount account{std::to_string(o_.first_user + i),
                         o_.password_prefix + std::to_string(o_.first_user + i), o_.domain,
                         o_.sip_port};
      clients_.push_back(std::make_unique<LoadClient>(
          io_, media_[i % media_.size()], dtls_, fingerprint_, uint32_t(i), target, account,
          [this](LoadClient& c) { on_change(c); }));
    }
    launch_next();
    deadline(Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(
                                2.0 * double(o_.clients) / o_.rate + o_.setup_timeout_s)));
    io_.run();
    return report();
  }

 private:
  void launch_next() {
    if (launched_ == clients_.size()) return;
    clients_[launched_++]->start_registration();
    launch_timer_ = std::make_unique<boost::asio::steady_timer>(
        io_, std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(1.0 / o_.rate)));
    launch_timer_->async_wait([this](auto ec) {
      if (!ec && phase_ == Phase::setup) launch_next();
    });
  }

  void call_next(size_t index) {
    while (index < clients_.size() && clients_[index]->state() != LoadClient::State::registered) ++index;
    if (index == clients_.size() || phase_ != Phase::setup) return;
    clients_[index]->start_call();
    call_timer_ = std::make_unique<boost::asio::steady_timer>(
        io_, std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(1.0 / o_.rate)));
    call_timer_->async_wait([this, index](auto ec) {
      if (!ec) call_next(index + 1);
    });
  }

  void deadline(Clock::time_point at) {
    timer_.expires_at(at);
    timer_.async_wait([this](auto ec) {
      if (ec || phase_ != Phase::setup) return;
      std::cerr << "loadgen: setup deadline reached; holding what is up\n";
      start_hold();
    });
  }

  void on_change(LoadClient& c) {
    using S = LoadClient::State;
    if (c.state() == S::registered) {
      ++registered_;
      last_registered_ = Clock::now();
    }
    if (c.state() == S::media) ++in_media_;
    // Once the run hangs up, the far end's reaction (BYE, close_notify) is no failure.
    if (phase_ == Phase::closing || phase_ == Phase::drain) return;
    if (c.state() == S::failed || c.state() == S::ended) {
      ++failures_[c.error()];
      if (phase_ == Phase::hold) ++dropped_during_hold_;
    }
    if (phase_ != Phase::setup) return;
    // Calls start once every client has registered (or failed to), so the call setup time is
    // not queue time behind registrations (Janus handles requests on one thread).
    if (o_.mode == "calls" && !calling_ && launched_ == clients_.size()) {
      size_t settled = 0;
      for (auto& client : clients_)
        if (client->state() != S::idle && client->state() != S::registering) ++settled;
      if (settled == clients_.size()) {
        calling_ = true;
        registrations_done_ = Clock::now();
        call_next(0);
      }
    }
    size_t done = 0;
    for (auto& client : clients_) {
      auto s = client->state();
      if (s == S::failed || s == S::ended || (o_.mode == "calls" ? s == S::media : s == S::registered))
        ++done;
    }
    if (done == clients_.size()) start_hold();
  }

  void start_hold() {
    phase_ = Phase::hold;
    hold_started_ = Clock::now();
    if (o_.pid) hold_start_sample_ = sample_process(o_.pid);
    held_ = o_.mode == "calls" ? in_media_ : registered_;
    std::cerr << "loadgen: " << held_ << " " << (o_.mode == "calls" ? "calls" : "sessions")
              << " up; holding " << o_.hold_s << " s\n";
    timer_.expires_after(std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o_.hold_s)));
    timer_.async_wait([this](auto ec) {
      if (!ec) end_hold();
    });
  }

  void end_hold() {
    phase_ = Phase::drain;
    hold_ended_ = Clock::now();
    if (o_.pid) hold_end_sample_ = sample_process(o_.pid);
    for (auto& m : media_) m.worker->post([&m] { m.pacer->set_sending(false); });
    timer_.expires_after(std::chrono::milliseconds(500));  // packets in flight come back
    timer_.async_wait([this](auto) {
      for (auto& m : media_) {
        m.worker->post([&m, this] {
          std::lock_guard lock(merge_mutex_);
          totals_.rtp_sent += m.counters->rtp_sent;
          totals_.rtp_received += m.counters->rtp_received;
          totals_.echoes_received += m.counters->echoes_received;
          totals_.unprotect_failures += m.counters->unprotect_failures;
          totals_.rtt_us.insert(totals_.rtt_us.end(), m.counters->rtt_us.begin(), m.counters->rtt_us.end());
        });
        m.worker->barrier();
      }
      own_cpu_end_ = own_cpu_seconds();
      phase_ = Phase::closing;
      for (auto& c : clients_) c->finish();
      timer_.expires_after(std::chrono::seconds(2));  // BYEs and un-REGISTERs go out
      timer_.async_wait([this](auto) { io_.stop(); });
    });
  }

  json report() {
    std::vector<double> registration, setup, media_up;
    for (auto& c : clients_) {
      if (auto d = c->registration_time()) registration.push_back(ms(*d));
      if (auto d = c->setup_time()) setup.push_back(ms(*d));
      if (auto d = c->media_time()) media_up.push_back(ms(*d));
    }
    const double hold_s = std::chrono::duration<double>(hold_ended_ - hold_started_).count();
    json r = {{"target", o_.target}, {"mode", o_.mode}, {"clients", o_.clients},
              {"held", held_}, {"hold_s", hold_s}, {"dropped_during_hold", dropped_during_hold_}};
    json failures = json::object();
    for (auto& [what, count] : failures_) failures[what.empty() ? "unknown" : what] = count;
    r["failures"] = failures;
    r["registration_ms"] = {{"p50", percentile(registration, 50)}, {"p99", percentile(registration, 99)}};
    if (registered_ > 1)
      r["registrations_per_s"] = double(registered_) / std::chrono::duration<double>(last_registered_ - started_).count();
    if (o_.mode == "calls") {
      r["setup_ms"] = {{"p50", percentile(setup, 50)}, {"p99", percentile(setup, 99)}};
      r["ice_dtls_ms"] = {{"p50", percentile(media_up, 50)}, {"p99", percentile(media_up, 99)}};
      std::vector<double> rtt_ms;
      rtt_ms.reserve(totals_.rtt_us.size());
      for (auto us : totals_.rtt_us) rtt_ms.push_back(us / 1000.0);
      r["rtt_ms"] = {{"p50", percentile(rtt_ms, 50)}, {"p99", percentile(rtt_ms, 99)},
                     {"samples", rtt_ms.size()}};
      r["packets"] = {{"sent", totals_.rtp_sent}, {"received", totals_.rtp_received},
                      {"echoed", totals_.echoes_received},
                      {"unprotect_failures", totals_.unprotect_failures}};
      r["loss_pct"] = totals_.rtp_sent ? 100.0 * (1.0 - double(totals_.echoes_received) / double(totals_.rtp_sent)) : 100.0;
    }
    if (before_ && hold_start_sample_ && hold_end_sample_ && held_ > 0) {
      const double cpu = hold_end_sample_->cpu_seconds - hold_start_sample_->cpu_seconds;
      r["gateway"] = {
          {"cpu_s_in_hold", cpu},
          {"cpu_pct_in_hold", 100.0 * cpu / hold_s},
          {"rss_before_kib", before_->rss_kib},
          {"rss_in_hold_kib", hold_end_sample_->rss_kib},
          {"rss_per_client_kib", (hold_end_sample_->rss_kib - before_->rss_kib) / double(held_)},
          {"threads_before", before_->threads},
          {"threads_in_hold", hold_end_sample_->threads}};
      if (o_.mode == "calls")
        r["gateway"]["cpu_us_per_call_s"] = 1e6 * cpu / (double(held_) * hold_s);
    }
    r["loadgen_cpu_s"] = own_cpu_end_ - own_cpu_start_;
    return r;
  }

  enum class Phase { setup, hold, drain, closing };

  Options o_;
  boost::asio::io_context io_;
  boost::asio::steady_timer timer_;
  std::unique_ptr<boost::asio::steady_timer> launch_timer_, call_timer_;
  media::MediaWorkerPool pool_;
  std::deque<WorkerMedia> media_;
  std::shared_ptr<media::DtlsContext> dtls_;
  std::string fingerprint_;
  std::vector<std::unique_ptr<LoadClient>> clients_;
  Phase phase_ = Phase::setup;
  bool calling_ = false;
  size_t launched_ = 0, registered_ = 0, in_media_ = 0, held_ = 0, dropped_during_hold_ = 0;
  std::map<std::string, size_t> failures_;
  Clock::time_point started_, last_registered_, registrations_done_, hold_started_, hold_ended_;
  std::optional<ProcessSample> before_, hold_start_sample_, hold_end_sample_;
  std::mutex merge_mutex_;
  MediaCounters totals_;
  double own_cpu_start_ = 0, own_cpu_end_ = 0;
};

}  // namespace
}  // namespace sipgw::loadgen

int main(int argc, char** argv) {
  sipgw::loadgen::Options o;
  CLI::App app{"sipgw-loadgen: N WebRTC browsers (ICE + DTLS-SRTP + 20 ms PCMU) against our "
               "gateway or Janus's SIP plugin. Prints one JSON result."};
  app.add_option("--target", o.target, "gateway | janus")->check(CLI::IsMember({"gateway", "janus"}));
  app.add_option("--url", o.url, "signalling URL (wss://127.0.0.1:8443/ws, ws://127.0.0.1:8188/)");
  app.add_option("--mode", o.mode, "calls: register + call + media; idle: register and hold")
      ->check(CLI::IsMember({"calls", "idle"}));
  app.add_option("--clients", o.clients, "simulated browsers")->check(CLI::PositiveNumber);
  app.add_option("--rate", o.rate, "clients started per second: registrations, then calls, at this pace")->check(CLI::PositiveNumber);
  app.add_option("--hold", o.hold_s, "seconds every call (or session) is held once all are up");
  app.add_option("--workers", o.workers, "media threads of the load generator")->check(CLI::PositiveNumber);
  app.add_option("--first-user", o.first_user, "extension of client 0 (client i: first + i)");
  app.add_option("--password-prefix", o.password_prefix, "password = prefix + extension");
  app.add_option("--domain", o.domain, "PBX address (registrar and domain)");
  app.add_option("--sip-port", o.sip_port, "PBX port");
  app.add_option("--callee", o.callee, "number every client calls (an echoing UAS)");
  app.add_option("--pid", o.pid, "gateway process to measure (CPU, RSS) from /proc");
  app.add_option("--setup-timeout", o.setup_timeout_s, "seconds allowed after the last start");
  app.add_option("--json", o.json_path, "also write the result to this file");
  CLI11_PARSE(app, argc, argv);
  try {
    sipgw::loadgen::Run run(o);
    auto result = run.execute();
    std::cout << result.dump() << std::endl;
    if (!o.json_path.empty()) std::ofstream(o.json_path) << result.dump(2) << "\n";
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "sipgw-loadgen: " << e.what() << "\n";
    return 1;
  }
}
