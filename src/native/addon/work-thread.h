// One thread of its own for an engine's LibTorch work. Each call still starts as a libuv worker (its
// promise settles as before), but the LibTorch math runs here, always on the same thread: OpenMP's
// thread team, oneDNN's kernel caches and the allocator's free lists are then made once, not once per
// libuv pool thread (four of them: each paid the warm-up and kept its own memory peak).
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

// Sets LibTorch's thread count for the engines' work (setThreads). The JavaScript thread itself is kept
// to one thread (its LibTorch calls are light: building a network, loading weights), so that it never
// starts an OpenMP team of its own: once libgomp manages more threads than there are cores it spins only
// briefly before sleeping, and every parallel region then pays a wake-up.
void setEngineThreads(int count);

class WorkThread {
 public:
  WorkThread();
  ~WorkThread();
  WorkThread(const WorkThread&) = delete;
  WorkThread& operator=(const WorkThread&) = delete;

  // Runs `work` on this thread and waits for it; an exception it throws is thrown here. One caller at a
  // time (an engine runs one call at a time); a second waits its turn.
  void run(const std::function<void()>& work);

 private:
  void loop();

  std::mutex mutex_;
  std::condition_variable changed_;
  const std::function<void()>* pending_ = nullptr;
  std::exception_ptr error_;
  bool done_ = false;
  bool stopping_ = false;
  std::mutex callers_;
  std::thread thread_;
};
