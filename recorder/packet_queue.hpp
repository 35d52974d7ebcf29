#pragma once
// PacketQueue: a bounded, lock-free, single-producer/single-consumer ring of RecordedPacket
// slots. One per media worker: that worker is the only producer, the recorder thread the only
// consumer (docs/architecture.md, "Recorder"). A push never blocks, never allocates and never
// makes a system call, except one eventfd write when the ring crosses half full (to wake the
// recorder early); a full ring drops the packet and counts it.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>

#include "recorder/recorded_packet.hpp"

namespace sipgw::recorder {

class PacketQueue {
 public:
  static constexpr size_t kDefaultCapacity = 4096;  // slots (~5.4 MB at 1312 bytes a slot)

  /// `capacity` is rounded up to a power of two (minimum 2). Memory is allocated here, once.
  explicit PacketQueue(size_t capacity = kDefaultCapacity);
  PacketQueue(const PacketQueue&) = delete;
  PacketQueue& operator=(const PacketQueue&) = delete;

  /// Producer thread only. Copies the header fields and `packet.payload_size` payload bytes.
  /// Returns false (and counts a drop) when the ring is full. Never blocks.
  bool try_push(const RecordedPacket& packet) noexcept {
    RecordedPacket* slot = claim();
    if (slot == nullptr) return false;
    std::memcpy(static_cast<void*>(slot), &packet, kRecordedPacketHeaderBytes);
    size_t n = packet.payload_size <= kMaxRecordedPayload ? packet.payload_size : kMaxRecordedPayload;
    slot->payload_size = static_cast<uint16_t>(n);
    std::memcpy(slot->payload, packet.payload, n);
    publish();
    return true;
  }

  /// Producer thread only. Parses a decrypted RTP packet (RFC 3550 §5.1: version 2, CSRC list,
  /// header extension §5.3.1, padding) and copies its header fields and payload straight into a
  /// slot. `arrival_us` is steady_now_us() at reception. Returns false when the packet is not
  /// valid RTP (not counted as a drop) or the ring is full (counted).
  bool try_push_rtp(uint64_t recording_id, Leg leg, int64_t arrival_us, const uint8_t* rtp,
                    size_t size) noexcept;

  /// Producer thread only. Copies a decrypted RTCP compound packet (RFC 3550 §6; version 2, at
  /// least 8 bytes) whole into a slot, for the raw capture of recordings that have one (the
  /// audio ignores it). Returns false when it is not RTCP (not counted) or the ring is full
  /// (counted).
  bool try_push_rtcp(uint64_t recording_id, Leg leg, int64_t arrival_us, const uint8_t* rtcp,
                     size_t size) noexcept;

  /// Consumer thread only. The oldest packet, or nullptr when empty. Valid until `pop()`.
  const RecordedPacket* front() noexcept {
    size_t head = head_.load(std::memory_order_relaxed);
    if (head == cached_tail_) {
      cached_tail_ = tail_.load(std::memory_order_acquire);
      if (head == cached_tail_) return nullptr;
    }
    return &slots_[head & mask_];
  }
  /// Consumer thread only. Releases the slot returned by `front()`.
  void pop() noexcept { head_.store(head_.load(std::memory_order_relaxed) + 1, std::memory_order_release); }

  /// Packets dropped because the ring was full, since construction. Any thread (relaxed).
  uint64_t dropped() const noexcept { return dropped_.load(std::memory_order_relaxed); }
  /// Packets accepted, since construction. Any thread (relaxed).
  uint64_t pushed() const noexcept { return pushed_.load(std::memory_order_relaxed); }
  /// Approximate number of queued packets. Any thread.
  size_t size_approx() const noexcept {
    return tail_.load(std::memory_order_relaxed) - head_.load(std::memory_order_relaxed);
  }
  size_t capacity() const noexcept { return mask_ + 1; }

  /// Set once by the Recorder before any producer runs: an eventfd written (8 bytes, value 1)
  /// once when a push makes the ring half full (again once the consumer brought it below half).
  /// -1 (default): no wake-up.
  void set_wake_fd(int fd) noexcept { wake_fd_ = fd; }

 private:
  RecordedPacket* claim() noexcept {
    size_t tail = tail_.load(std::memory_order_relaxed);
    if (tail - cached_head_ > mask_) {
      cached_head_ = head_.load(std::memory_order_acquire);
      if (tail - cached_head_ > mask_) {
        dropped_.fetch_add(1, std::memory_order_relaxed);
        return nullptr;
      }
    }
    return &slots_[tail & mask_];
  }
  void publish() noexcept {
    size_t tail = tail_.load(std::memory_order_relaxed) + 1;
    tail_.store(tail, std::memory_order_release);
    pushed_.fetch_add(1, std::memory_order_relaxed);
    if (wake_fd_ >= 0 && tail - cached_head_ >= (mask_ + 1) / 2) maybe_wake(tail);
  }
  // The cached head says "half full or more": look at the real head (one acquire load, only in
  // that case) and wake the consumer once per half-full episode.
  void maybe_wake(size_t tail) noexcept {
    cached_head_ = head_.load(std::memory_order_acquire);
    if (tail - cached_head_ < (mask_ + 1) / 2) {
      woken_ = false;
    } else if (!woken_) {
      woken_ = true;
      wake();
    }
  }
  void wake() noexcept;

  std::unique_ptr<RecordedPacket[]> slots_;
  size_t mask_;
  int wake_fd_ = -1;
  // Producer-side line: the tail it publishes, its cached view of head, its counters.
  alignas(64) std::atomic<size_t> tail_{0};
  size_t cached_head_ = 0;
  bool woken_ = false;
  std::atomic<uint64_t> dropped_{0};
  std::atomic<uint64_t> pushed_{0};
  // Consumer-side line.
  alignas(64) std::atomic<size_t> head_{0};
  size_t cached_tail_ = 0;
};

}  // namespace sipgw::recorder
