#include "gateway/media/media_worker.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <vector>

using sipgw::media::MediaWorker;
using sipgw::media::MediaWorkerPool;

TEST(MediaWorker, RunsTasksInOrderOnItsThread) {
  MediaWorker worker(0);
  std::mutex mutex;
  std::vector<int> order;
  std::atomic<bool> all_on_worker{true};
  for (int i = 0; i < 100; ++i)
    worker.post([&, i] {
      if (!worker.is_current()) all_on_worker = false;
      std::lock_guard lock(mutex);
      order.push_back(i);
    });
  worker.barrier();
  EXPECT_TRUE(all_on_worker);
  ASSERT_EQ(order.size(), 100u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(order[i], i);
  EXPECT_FALSE(worker.is_current());
  EXPECT_NE(worker.context(), nullptr);
}

TEST(MediaWorker, PostFromTheWorkerIsNeverInline) {
  MediaWorker worker(1);
  std::vector<int> order;  // touched only on the worker
  worker.post([&] {
    worker.post([&] { order.push_back(2); });
    order.push_back(1);
  });
  worker.barrier();
  worker.barrier();  // the nested task was posted before this barrier
  EXPECT_EQ(order, (std::vector<int>{1, 2}));
}

TEST(MediaWorker, TaskExceptionsDoNotKillTheWorker) {
  MediaWorker worker(2);
  worker.post([] { throw std::runtime_error("boom"); });
  std::atomic<bool> ran{false};
  worker.post([&] { ran = true; });
  worker.barrier();
  EXPECT_TRUE(ran);
}

TEST(MediaWorkerPool, RoundRobin) {
  MediaWorkerPool pool(3);
  EXPECT_EQ(pool.size(), 3u);
  MediaWorker* a = &pool.next();
  MediaWorker* b = &pool.next();
  MediaWorker* c = &pool.next();
  EXPECT_NE(a, b);
  EXPECT_NE(b, c);
  EXPECT_EQ(&pool.next(), a);
  EXPECT_THROW(MediaWorkerPool(0), std::invalid_argument);
}
