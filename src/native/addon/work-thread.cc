#include "work-thread.h"

#include <ATen/Parallel.h>
#include <omp.h>

#include <atomic>

namespace {

std::atomic<int> engineThreads{0};

// Applies the count to the calling thread when it differs from what the thread has. Only then: LibTorch's
// set_num_threads also rebuilds its pthreadpool, and doing that at every call (at::init_num_threads) made
// training 30% slower than on the JavaScript thread.
void useEngineThreads() {
  const int wanted = engineThreads.load();
  if (wanted > 0 && at::get_num_threads() != wanted) at::set_num_threads(wanted);
}

}  // namespace

void setEngineThreads(int count) {
  engineThreads.store(count);
  at::set_num_threads(count);
  // The JavaScript thread: LibTorch sets a thread's count lazily at its first parallel operation, so
  // that happens here (at::get_num_threads) before the count is brought down to one.
  at::get_num_threads();
  omp_set_num_threads(1);
}

WorkThread::WorkThread() : thread_([this] { loop(); }) {}

WorkThread::~WorkThread() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

void WorkThread::run(const std::function<void()>& work) {
  std::lock_guard<std::mutex> turn(callers_);
  std::unique_lock<std::mutex> lock(mutex_);
  pending_ = &work;
  done_ = false;
  error_ = nullptr;
  changed_.notify_all();
  changed_.wait(lock, [this] { return done_; });
  if (error_) std::rethrow_exception(error_);
}

void WorkThread::loop() {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    changed_.wait(lock, [this] { return pending_ != nullptr || stopping_; });
    if (pending_ == nullptr) return;
    const std::function<void()>* work = pending_;
    pending_ = nullptr;
    lock.unlock();
    std::exception_ptr error;
    try {
      // LibTorch's intra-op thread count is per thread under OpenMP: this one takes setThreads' latest.
      useEngineThreads();
      (*work)();
    } catch (...) {
      error = std::current_exception();
    }
    lock.lock();
    error_ = error;
    done_ = true;
    changed_.notify_all();
  }
}
