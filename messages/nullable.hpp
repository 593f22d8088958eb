#pragma once
// `nullable<T>` is std::optional<T> with a home in our namespace, so that the CAF 0.17
// inspection in messages/inspect.hpp is found by ADL (CAF 0.17 knows no std::optional).

#include <optional>
#include <utility>

namespace opencloser {

template <class T>
struct nullable : std::optional<T> {
  using std::optional<T>::optional;
  using std::optional<T>::operator=;
  nullable() = default;
  nullable(const std::optional<T>& other) : std::optional<T>(other) {}
  nullable(std::optional<T>&& other) : std::optional<T>(std::move(other)) {}
  friend bool operator==(const nullable& a, const nullable& b) {
    return static_cast<const std::optional<T>&>(a) == static_cast<const std::optional<T>&>(b);
  }
};

}  // namespace opencloser
