/* libFuzzer target: bytes as a suite file, through suite_parse(), the
 * parser `faultbench suite` runs on a file's text: fields, matrices,
 * expansion, and every configuration checked by the `run` flag parser. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "suite.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fb_err err = { "" };
	struct suite s;
	char *text = malloc(size + 1);

	if (!text)
		return 0;
	/* suite_load() refuses a NUL byte; here it just ends the text */
	memcpy(text, data, size);
	text[size] = 0;
	if (!suite_parse(&s, "fuzz.suite", text, &err))
		suite_free(&s);
	free(text);
	return 0;
}
