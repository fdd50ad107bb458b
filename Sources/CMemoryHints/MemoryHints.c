// The target's only API is the inline function in include/CMemoryHints.h.
#include "CMemoryHints.h"
