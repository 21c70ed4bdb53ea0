/* libFuzzer target: bytes as one result file, read as `faultbench report`,
 * `gate` and `compare` read each file of a set (rset_parse_result(): the
 * size, value and depth limits, jansson, then results/schema.json). A
 * document that passes goes on to what reads it next: compare_write() and
 * report_write() (tables and plot data into a scratch directory; no
 * gnuplot). The schema is found as faultbench finds it: $FAULTBENCH_SCHEMA,
 * or beside the binary. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "analysis/report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char id[] = "fuzz", path[] = "fuzz.json", matrix[] = "", command[] = "run", dir[] = ".";
	struct fb_err err = { "" };
	struct rs_item it = { .id = id, .path = path, .matrix = matrix, .command = command };
	struct rset s = { .dir = dir, .name = id, .it = &it, .n = 1 };
	static char outdir[4096];
	static FILE *sink;
	json_t *doc;

	if (!sink) {
		/* plots would run gnuplot for every input: tables and data only */
		setenv("FAULTBENCH_GNUPLOT", "/nonexistent/gnuplot", 1);
		snprintf(outdir, sizeof(outdir), "%s/fuzz_result.XXXXXX",
			 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
		if (!mkdtemp(outdir) || !(sink = fopen("/dev/null", "w")))
			abort();
	}
	if (rset_parse_result(path, (const char *)data, size, &doc, &err))
		return 0;
	it.doc = doc;
	it.state = (char *)json_string_value(json_object_get(json_object_get(doc, "status"), "state"));
	s.host = json_object_get(doc, "host");
	if (it.state) {
		compare_write(sink, &s, &s);
		report_write(&s, outdir, true, &err);
	}
	json_decref(doc);
	return 0;
}
