/* none: the kernel fills each page on first touch. The floor. */
#include "mode.h"

const struct fault_mode mode_none = {
	.name = "none",
	.summary = "the kernel fills the page itself (zero-fill or huge page)",
	.needs = "any kernel",
};
