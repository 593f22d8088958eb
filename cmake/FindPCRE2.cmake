# Debian's libpcre2-dev ships pkg-config files but no CMake config: expose PCRE2::8bit.
find_path(PCRE2_INCLUDE_DIR pcre2.h)
find_library(PCRE2_8BIT_LIBRARY NAMES pcre2-8)
set(PCRE2_VERSION "")
if(PCRE2_INCLUDE_DIR AND EXISTS "${PCRE2_INCLUDE_DIR}/pcre2.h")
  file(STRINGS "${PCRE2_INCLUDE_DIR}/pcre2.h" _maj REGEX "^#define PCRE2_MAJOR +[0-9]+")
  file(STRINGS "${PCRE2_INCLUDE_DIR}/pcre2.h" _min REGEX "^#define PCRE2_MINOR +[0-9]+")
  string(REGEX REPLACE ".*PCRE2_MAJOR +([0-9]+).*" "\\1" _maj "${_maj}")
  string(REGEX REPLACE ".*PCRE2_MINOR +([0-9]+).*" "\\1" _min "${_min}")
  set(PCRE2_VERSION "${_maj}.${_min}")
endif()
include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(PCRE2 REQUIRED_VARS PCRE2_INCLUDE_DIR PCRE2_8BIT_LIBRARY
  VERSION_VAR PCRE2_VERSION)
if(PCRE2_FOUND AND NOT TARGET PCRE2::8bit)
  add_library(PCRE2::8bit SHARED IMPORTED)
  set_target_properties(PCRE2::8bit PROPERTIES IMPORTED_LOCATION "${PCRE2_8BIT_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${PCRE2_INCLUDE_DIR}"
    INTERFACE_COMPILE_DEFINITIONS "PCRE2_CODE_UNIT_WIDTH=8")
endif()
mark_as_advanced(PCRE2_INCLUDE_DIR PCRE2_8BIT_LIBRARY)
