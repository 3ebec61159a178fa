#include "process-group.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <utility>

#include "args.h"
#include "errors.h"
#include "promise-worker.h"

namespace {

const napi_type_tag kProcessGroupTag = {0x7762635f70726f63ULL, 0x6573735f67726f75ULL};

}  // namespace

void ProcessGroup::Define(Napi::Env env) {
  auto constructor = DefineClass(env, "ProcessGroup", {
      InstanceMethod<&ProcessGroup::checkedMethod<&ProcessGroup::Allgather>>("allgather"),
      InstanceMethod<&ProcessGroup::checkedMethod<&ProcessGroup::Broadcast>>("broadcast"),
      InstanceMethod<&ProcessGroup::checkedMethod<&ProcessGroup::Barrier>>("barrier"),
      InstanceMethod<&ProcessGroup::checkedMethod<&ProcessGroup::AllreduceSum>>("allreduceSum"),
      InstanceAccessor<&ProcessGroup::CommunicationSeconds>("communicationSeconds"),
      InstanceAccessor<&ProcessGroup::Rank>("rank"),
      InstanceAccessor<&ProcessGroup::WorldSize>("worldSize"),
  });
  env.SetInstanceData(new Napi::FunctionReference(Napi::Persistent(constructor)));
}

template <auto Method>
Napi::Value ProcessGroup::checkedMethod(const Napi::CallbackInfo& info) {
  return callWithOneLineErrors(info, [&] { return (this->*Method)(info); });
}

namespace {

// Joins the group on a worker thread; the promise resolves to the ProcessGroup object.
class JoinWorker : public PromiseWorker {
 public:
  JoinWorker(Napi::Env env, GroupOptions options) : PromiseWorker(env), options_(std::move(options)) {}

 private:
  void Work() override { link_ = std::make_shared<GroupLink>(options_); }
  Napi::Value Result() override {
    auto link = Napi::External<std::shared_ptr<GroupLink>>::New(Env(), &link_);
    return Env().GetInstanceData<Napi::FunctionReference>()->New({link});
  }

  GroupOptions options_;
  std::shared_ptr<GroupLink> link_;
};

}  // namespace

Napi::Value ProcessGroup::Create(const Napi::CallbackInfo& info) {
  return promiseOf(info.Env(), [&] {
    auto options = args::object(info[0], "options");
    GroupOptions group;
    group.worldSize = static_cast<int>(args::wholeNumber(options.Get("worldSize"), "worldSize", 1, 65536));
    group.rank = static_cast<int>(args::wholeNumber(options.Get("rank"), "rank", 0, group.worldSize - 1));
    group.host = args::string(options.Get("host"), "host");
    group.port = static_cast<int>(args::wholeNumber(options.Get("port"), "port", 1, 65535));
    group.timeout = std::chrono::milliseconds(args::wholeNumber(options.Get("timeoutSeconds"), "timeoutSeconds", 1, 86400) * 1000);
    if (!options.Get("interface").IsUndefined()) group.interface = args::string(options.Get("interface"), "interface");
    return (new JoinWorker(info.Env(), std::move(group)))->Start();
  });
}

ProcessGroup::ProcessGroup(const Napi::CallbackInfo& info) : Napi::ObjectWrap<ProcessGroup>(info) {
  withOneLineErrors(info.Env(), [&] {
    if (!info[0].IsExternal()) throw Napi::TypeError::New(info.Env(), "a ProcessGroup is made by createProcessGroup(options)");
    link_ = *info[0].As<Napi::External<std::shared_ptr<GroupLink>>>().Data();
    info.This().As<Napi::Object>().TypeTag(&kProcessGroupTag);
  });
}

std::shared_ptr<GroupLink> ProcessGroup::linkOf(const Napi::Value& value, const std::string& name) {
  if (!value.IsObject() || !value.As<Napi::Object>().CheckTypeTag(&kProcessGroupTag)) args::throwType(value, name, "a ProcessGroup");
  return Unwrap(value.As<Napi::Object>())->link_;
}

Napi::Value ProcessGroup::Allgather(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto bytes = args::uint8Array(info[0], "bytes");
  std::string what = info[1].IsUndefined() ? "allgather" : args::string(info[1], "what");
  auto length = torch::full({1}, static_cast<int64_t>(bytes.ByteLength()), torch::kLong);
  auto lengths = link_->allgather(length, what);
  int64_t longest = 0;
  for (auto& l : lengths) longest = std::max(longest, l.item<int64_t>());
  auto padded = torch::zeros({std::max<int64_t>(longest, 1)}, torch::kUInt8);
  std::memcpy(padded.data_ptr<uint8_t>(), bytes.Data(), bytes.ByteLength());
  auto gathered = link_->allgather(padded, what);
  auto out = Napi::Array::New(env, gathered.size());
  for (size_t r = 0; r < gathered.size(); ++r) {
    auto size = static_cast<size_t>(lengths[r].item<int64_t>());
    auto array = Napi::Uint8Array::New(env, size);
    std::memcpy(array.Data(), gathered[r].data_ptr<uint8_t>(), size);
    out.Set(static_cast<uint32_t>(r), array);
  }
  return out;
}

Napi::Value ProcessGroup::Broadcast(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  bool root = link_->rank() == 0;
  Napi::Uint8Array bytes;
  if (root) bytes = args::uint8Array(info[0], "bytes");
  std::string what = info[1].IsUndefined() ? "broadcast" : args::string(info[1], "what");
  auto length = torch::full({1}, root ? static_cast<int64_t>(bytes.ByteLength()) : 0, torch::kLong);
  link_->broadcast(length, 0, what);
  auto size = length.item<int64_t>();
  auto data = torch::empty({std::max<int64_t>(size, 1)}, torch::kUInt8);
  if (root) std::memcpy(data.data_ptr<uint8_t>(), bytes.Data(), static_cast<size_t>(size));
  link_->broadcast(data, 0, what);
  auto out = Napi::Uint8Array::New(env, static_cast<size_t>(size));
  std::memcpy(out.Data(), data.data_ptr<uint8_t>(), static_cast<size_t>(size));
  return out;
}

void ProcessGroup::Barrier(const Napi::CallbackInfo& info) {
  link_->barrier(info[0].IsUndefined() ? "barrier" : args::string(info[0], "what"));
}

void ProcessGroup::AllreduceSum(const Napi::CallbackInfo& info) {
  auto values = args::float32Array(info[0], "values");
  std::string what = info[1].IsUndefined() ? "allreduce" : args::string(info[1], "what");
  // Summed in a tensor of its own: the JavaScript buffer is only touched before and after.
  auto sum = torch::from_blob(values.Data(), {static_cast<int64_t>(values.ElementLength())}, torch::kFloat).clone();
  link_->allreduceSum(sum, what);
  std::memcpy(values.Data(), sum.data_ptr<float>(), values.ByteLength());
}

Napi::Value ProcessGroup::CommunicationSeconds(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), link_->communicationSeconds());
}

Napi::Value ProcessGroup::Rank(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), link_->rank()); }

Napi::Value ProcessGroup::WorldSize(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), link_->worldSize()); }
