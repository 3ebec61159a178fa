// Every C++ exception that leaves the addon becomes a one-line JavaScript Error: LibTorch's messages lose
// their C++ backtrace and context lines, and an allocation failure says so.
#pragma once
#include <napi.h>

#include <string>
#include <type_traits>

// The one-line message of the exception being handled; call it only inside a catch block.
std::string currentExceptionMessage();

template <typename Body>
auto withOneLineErrors(const Napi::Env& env, Body&& body) -> decltype(body()) {
  try {
    return body();
  } catch (const Napi::Error&) {
    throw;  // already a JavaScript error: ours (one line) or one thrown by JavaScript code we called
  } catch (...) {
    throw Napi::Error::New(env, currentExceptionMessage());
  }
}

// A module function or method body, called through withOneLineErrors.
template <typename Call>
Napi::Value callWithOneLineErrors(const Napi::CallbackInfo& info, Call&& call) {
  return withOneLineErrors(info.Env(), [&]() -> Napi::Value {
    if constexpr (std::is_void_v<decltype(call())>) {
      call();
      return info.Env().Undefined();
    } else {
      return call();
    }
  });
}

// Function::New<checked<F>>: the module function F with one-line errors.
template <auto Function>
Napi::Value checked(const Napi::CallbackInfo& info) {
  return callWithOneLineErrors(info, [&] { return Function(info); });
}
