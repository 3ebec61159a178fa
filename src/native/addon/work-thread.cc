#include "work-thread.h"

#include <ATen/Parallel.h>

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
      // LibTorch's intra-op thread count is per thread under OpenMP: apply setThreads' latest count here.
      at::init_num_threads();
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
