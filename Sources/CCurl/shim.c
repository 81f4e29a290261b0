// The shim is header-only (static inline wrappers); SwiftPM needs one source file to build a C target.
#include "shim.h"
