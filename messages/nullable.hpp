#pragma once
// `nullable<T>` is std::optional<T> with a home in our namespace, so that the CAF 0.17
// inspection in messages/inspect.hpp is found by ADL (CAF 0.17 knows no std::optional).

#include <optional>
#include <type_traits>
#include <utility>

namespace opencloser {

template <class T>
struct nullable : std::optional<T> {
  using std::optional<T>::optional;
  nullable() = default;
  nullable(const std::optional<T>& other) : std::optional<T>(other) {}
  nullable(std::optional<T>&& other) : std::optional<T>(std::move(other)) {}
  /// One assignment for values, optionals and nullopt (the inherited set is ambiguous with the
  /// implicit copy assignment through the converting constructors).
  template <class U>
  requires(!std::is_same_v<std::remove_cvref_t<U>, nullable>) nullable& operator=(U&& other) {
    std::optional<T>::operator=(std::forward<U>(other));
    return *this;
  }
  /// Exact-type comparison: the generic optional/value templates are ambiguous between two
  /// nullables. Compare with a plain value through `*x` or `x == nullable<T>(v)`.
  friend bool operator==(const nullable& a, const nullable& b) {
    return static_cast<const std::optional<T>&>(a) == static_cast<const std::optional<T>&>(b);
  }
};

}  // namespace opencloser
