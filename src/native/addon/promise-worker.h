// Native work off the JavaScript thread, settled as a promise (jpeg-batch.cc decodes the same way).
// A call reads and checks its arguments into plain C++ values on the JavaScript thread; a PromiseWorker
// then does the work on a libuv worker thread and turns its result into JavaScript values on the
// JavaScript thread. Every error, a refused argument included, reaches JavaScript as a rejected promise
// with the same one-line message a synchronous call would throw (errors.h).
#pragma once
#include <napi.h>

#include "errors.h"

class PromiseWorker : public Napi::AsyncWorker {
 public:
  explicit PromiseWorker(Napi::Env env) : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)) {}

  // Queues the worker and returns its promise.
  Napi::Promise Start() {
    Napi::Promise promise = deferred_.Promise();
    Queue();
    return promise;
  }

 protected:
  // On the worker thread: no JavaScript values may be touched here.
  virtual void Work() = 0;
  // On the JavaScript thread, after Work succeeded.
  virtual Napi::Value Result() { return Env().Undefined(); }
  // On the JavaScript thread, after Work, whether it succeeded or not.
  virtual void Finished() {}

 private:
  void Execute() final {
    try {
      Work();
    } catch (...) {
      SetError(currentExceptionMessage());
    }
  }

  void OnOK() final {
    Finished();
    try {
      deferred_.Resolve(withOneLineErrors(Env(), [&] { return Result(); }));
    } catch (const Napi::Error& error) {
      deferred_.Reject(error.Value());
    }
  }

  void OnError(const Napi::Error& error) final {
    Finished();
    deferred_.Reject(error.Value());
  }

  Napi::Promise::Deferred deferred_;
};

// Runs `start`, which checks the arguments and returns a PromiseWorker's promise: an argument it refuses
// becomes a rejected promise too, so that an asynchronous call never throws.
template <typename Start>
Napi::Value promiseOf(const Napi::Env& env, Start&& start) {
  try {
    return withOneLineErrors(env, [&]() -> Napi::Value { return start(); });
  } catch (const Napi::Error& error) {
    auto deferred = Napi::Promise::Deferred::New(env);
    deferred.Reject(error.Value());
    return deferred.Promise();
  }
}
