// Placeholder: filled by the e2e scenario work.
#include <catch2/catch.hpp>
