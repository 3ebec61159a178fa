// The JavaScript face of a GroupLink (group-link.h): byte-level allgather and broadcast for the start-up
// checks and for gathering results. Joining blocks until every rank has come, so it runs on a worker
// thread: createProcessGroup returns a promise of the joined group.
#pragma once
#include <napi.h>

#include <memory>
#include <string>

#include "group-link.h"

class ProcessGroup : public Napi::ObjectWrap<ProcessGroup> {
 public:
  // The class (not exported: only createProcessGroup makes one), remembered for Create.
  static void Define(Napi::Env env);
  // createProcessGroup({ rank, worldSize, host, port, timeoutSeconds, interface? }) -> Promise<ProcessGroup>:
  // the options are checked at once (a bad one rejects), the joining happens off the JavaScript thread.
  static Napi::Value Create(const Napi::CallbackInfo& info);
  // Called by Create with the joined link (an External); anything else is refused.
  explicit ProcessGroup(const Napi::CallbackInfo& info);
  // The link inside a ProcessGroup object, or a TypeError naming `name`.
  static std::shared_ptr<GroupLink> linkOf(const Napi::Value& value, const std::string& name);

 private:
  template <auto Method>
  Napi::Value checkedMethod(const Napi::CallbackInfo& info);
  // `what` (optional, last argument) names the exchange in error messages ("the data check").
  // allgather(bytes: Uint8Array, what?) -> Uint8Array[]: every rank's bytes (lengths may differ), in rank order
  Napi::Value Allgather(const Napi::CallbackInfo& info);
  // broadcast(bytes: Uint8Array | null, what?) -> Uint8Array: rank 0's bytes on every rank (others pass null)
  Napi::Value Broadcast(const Napi::CallbackInfo& info);
  void Barrier(const Napi::CallbackInfo& info);
  // allreduceSum(values: Float32Array, what?): in place, the element-wise sum over all ranks (for benchmarks)
  void AllreduceSum(const Napi::CallbackInfo& info);
  Napi::Value CommunicationSeconds(const Napi::CallbackInfo& info);
  Napi::Value Rank(const Napi::CallbackInfo& info);
  Napi::Value WorldSize(const Napi::CallbackInfo& info);

  std::shared_ptr<GroupLink> link_;
};
