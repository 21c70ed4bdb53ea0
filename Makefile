# faultbench — see README.md. `make bench` and `make test` install what is
# missing (Debian packages), build, then run.

CC       ?= cc
CXX      ?= c++
OPT      ?= -O2 -g
PKGS     := hwloc numa jansson
WERROR   ?= $(if $(CI),-Werror,)
CFLAGS   += -std=c17 -D_GNU_SOURCE $(OPT) -Wall -Wextra -Wshadow -Wstrict-prototypes $(WERROR) \
            -Iharness -Iworkloads -MMD -MP $(SAN) \
            $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS   += $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lpthread -lm
LDFLAGS  += $(SAN)

B        := build$(if $(SAN),-$(SANNAME),)
# harness/: the engine that runs experiments; harness/analysis/: what only
# reads their results (result sets, tables, plots, report, compare, gate).
ENGINE_SRC   := $(wildcard harness/*.c harness/modes/*.c harness/snapshot/*.c workloads/*.c)
ANALYSIS_SRC := $(wildcard harness/analysis/*.c harness/analysis/report/*.c \
                  harness/analysis/export/*.c)
LIB_SRC  := $(filter-out harness/main.c,$(ENGINE_SRC) $(ANALYSIS_SRC))
LIB_OBJ  := $(LIB_SRC:%.c=$(B)/%.o)
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)
BIN      := $(if $(SAN),$(B)/faultbench,faultbench)

.PHONY: all deps test bench overhead clean asan tsan
all: $(BIN) $(B)/first-touch

deps:
	@bash .ci/deps.sh

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

$(B)/libfb.a: $(LIB_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(BIN): $(B)/harness/main.o $(B)/libfb.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# The hand-written first-touch loop the overhead benchmark compares with.
$(B)/first-touch: bench/first_touch.c
	@mkdir -p $(dir $@)
	$(CC) -std=c17 -D_GNU_SOURCE $(OPT) -Wall -Wextra $(WERROR) -o $@ $< -lpthread

$(B)/tests/%: tests/unit/%.c $(B)/libfb.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(shell pkg-config --cflags cmocka) $(LDFLAGS) -o $@ $< $(B)/libfb.a \
		$(shell pkg-config --libs cmocka) $(LDLIBS)

# A foreign snapshot-restore handler for the --handler-exec tests: on
# purpose it links nothing of faultbench.
$(B)/tests/min_handler: tests/handlers/min_handler.c
	@mkdir -p $(dir $@)
	$(CC) -std=c17 -D_GNU_SOURCE $(OPT) -Wall -Wextra -Wshadow $(WERROR) -o $@ $<

test: deps
	@$(MAKE) --no-print-directory all $(UNIT_BIN) $(B)/tests/min_handler gbench-bins
	@FB_BUILD=$(B) FB_BIN=$(abspath $(BIN)) bash tests/run.sh

# make bench [SUITE=quick|ci|paper|FILE]: run the suite, then the report of
# it (tables and plots under results/<suite>-<time>/report/). A failed
# configuration still gets its report; make fails afterwards.
SUITE ?= quick
bench: deps
	@$(MAKE) --no-print-directory all
	@./faultbench suite $(SUITE); rc=$$?; \
	if [ $$rc -ne 0 ] && [ $$rc -ne 1 ]; then exit $$rc; fi; \
	./faultbench report results/latest || exit $$?; \
	exit $$rc

overhead: deps
	@$(MAKE) --no-print-directory all
	@bash bench/overhead.sh

# make lint: cppcheck, then clang-tidy (checks in .clang-tidy), over the C
# sources; fails on any finding. Installs the two through deps (`lint` group).
# A finding that is not a bug is suppressed on its line, with the reason.
# cppcheck checks the build's one configuration (its -D and the host's arch,
# for the rdtsc paths) and reads no system header: jansson's foreach macros
# come from .ci/cppcheck-jansson.cfg. Off: variableScope ("the scope can be
# reduced": taste, not a bug). clang-tidy compiles with the build's CFLAGS.
LINT_SRC    := $(ENGINE_SRC) $(ANALYSIS_SRC) $(wildcard bench/*.c bench/micro/*.c \
                 tests/unit/*.c tests/gbench/*.c)
LINT_JOBS   ?= $(shell nproc 2>/dev/null || echo 2)
LINT_DEFS   := -D_GNU_SOURCE $(if $(filter x86_64-%,$(shell $(CC) -dumpmachine)),-D__x86_64__)
LINT_CFLAGS  = $(filter-out -MMD -MP,$(CFLAGS)) -Ibench $(shell pkg-config --cflags cmocka 2>/dev/null)
CPPCHECK    ?= cppcheck
CLANG_TIDY  ?= clang-tidy
.PHONY: lint lint-cppcheck lint-clang-tidy

lint:
	@bash .ci/deps.sh lint
	@$(MAKE) --no-print-directory lint-cppcheck lint-clang-tidy

lint-cppcheck:
	@echo "$(CPPCHECK) on $(words $(LINT_SRC)) files"
	@$(CPPCHECK) --std=c11 --platform=unix64 --enable=warning,style,performance,portability \
		--library=gnu --library=.ci/cppcheck-jansson.cfg --max-configs=1 $(LINT_DEFS) \
		-Iharness -Iworkloads -Ibench --inline-suppr --suppress=missingIncludeSystem \
		--suppress=variableScope --error-exitcode=1 --quiet -j$(LINT_JOBS) $(LINT_SRC)

# Largest files first, to share them out evenly. Output only for a file with
# findings ("N warnings generated" is about system headers); xargs exits
# non-zero when any file had some.
lint-clang-tidy:
	@echo "$(CLANG_TIDY) on $(words $(LINT_SRC)) files, $(LINT_JOBS) at a time"
	@ls -S $(LINT_SRC) | xargs -P$(LINT_JOBS) -n1 sh -c \
		'out=$$($(CLANG_TIDY) --quiet "$$0" -- $(LINT_CFLAGS) 2>&1) || { printf "%s\n" "$$out"; exit 1; }'

asan:
	@$(MAKE) --no-print-directory test SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer" SANNAME=asan
tsan:
	@$(MAKE) --no-print-directory test SAN="-fsanitize=thread" SANNAME=tsan

clean:
	rm -rf build build-* faultbench

-include $(LIB_OBJ:.o=.d) $(B)/harness/main.d

# --- micro-benchmarks: Google Benchmark (libbenchmark-dev) through the C shim
# bench/gbench.h; bench/gbench_shim.cc is the only C++ file. `make micro`
# writes results/micro-<time>/micro.json. GBENCH is empty without the library.
GBENCH      := $(shell printf '\043include <benchmark/benchmark.h>\n' | \
                 $(CXX) -std=c++17 -x c++ -E - >/dev/null 2>&1 && echo yes)
GBENCH_LIBS := $(or $(shell pkg-config --libs benchmark 2>/dev/null),-lbenchmark) -lpthread
MICRO_OBJ   := $(patsubst %.c,$(B)/%.o,$(wildcard bench/micro/*.c))
.PHONY: micro

$(B)/bench/gbench_shim.o: bench/gbench_shim.cc
	@mkdir -p $(dir $@)
	$(CXX) -std=c++17 $(OPT) -Wall -Wextra $(WERROR) -MMD -MP $(SAN) \
		$(shell pkg-config --cflags benchmark 2>/dev/null) -c -o $@ $<

$(MICRO_OBJ) $(B)/tests/gbench-selftest: CFLAGS += -Ibench

$(B)/micro: $(MICRO_OBJ) $(B)/bench/gbench_shim.o $(B)/libfb.a
	$(CXX) $(LDFLAGS) -o $@ $^ $(GBENCH_LIBS) $(LDLIBS)

# The shim's own test (tests/integration/gbench.sh) runs this tiny benchmark.
$(B)/tests/gbench-selftest: tests/gbench/selftest.c $(B)/bench/gbench_shim.o
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@.o $<
	$(CXX) $(LDFLAGS) -o $@ $@.o $(B)/bench/gbench_shim.o $(GBENCH_LIBS)

# Evaluated in the sub-make `test` starts after `deps`, so a library that
# deps has just installed is seen.
.PHONY: gbench-bins
gbench-bins: $(if $(GBENCH),$(B)/tests/gbench-selftest $(B)/micro)

micro: deps
	@$(MAKE) --no-print-directory $(B)/micro
	@MICRO_BIN=$(B)/micro bash bench/micro.sh

-include $(MICRO_OBJ:.o=.d) $(B)/bench/gbench_shim.d $(B)/tests/gbench-selftest.d

# --- fuzzing (libFuzzer; clang with -fsanitize=fuzzer): `make fuzz
# [FUZZ_SECONDS=60]` builds the harness with ASan and UBSan into build-fuzz/,
# links each tests/fuzz/fuzz_*.c, and runs each for FUZZ_SECONDS on a scratch
# corpus under build-fuzz/ seeded from tests/fuzz/corpus/<target>/ (see
# tests/fuzz/run.sh). Fails when a target found a crash; the input that
# made it stays in build-fuzz/artifacts/. Not part of `make test`.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_B       := build-fuzz
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_CFLAGS   = $(CFLAGS) -O1 $(FUZZ_SAN)
FUZZ_OBJ     := $(LIB_SRC:%.c=$(FUZZ_B)/%.o)
FUZZ_BIN     := $(patsubst tests/fuzz/%.c,$(FUZZ_B)/%,$(wildcard tests/fuzz/fuzz_*.c))
.PHONY: fuzz

$(FUZZ_B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FUZZ_B)/libfb.a: $(FUZZ_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(FUZZ_B)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_B)/libfb.a
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_B)/libfb.a $(LDLIBS)

fuzz: $(FUZZ_BIN)
	@FUZZ_SECONDS=$(FUZZ_SECONDS) bash tests/fuzz/run.sh $(FUZZ_BIN)

-include $(FUZZ_OBJ:.o=.d) $(FUZZ_BIN:=.d)
