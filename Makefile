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
LIB_SRC  := $(filter-out harness/main.c,$(wildcard harness/*.c harness/modes/*.c workloads/*.c))
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

test: deps
	@$(MAKE) --no-print-directory all $(UNIT_BIN)
	@FB_BUILD=$(B) FB_BIN=$(abspath $(BIN)) bash tests/run.sh

bench: deps
	@$(MAKE) --no-print-directory all
	@bash bench/default.sh

overhead: deps
	@$(MAKE) --no-print-directory all
	@bash bench/overhead.sh

asan:
	@$(MAKE) --no-print-directory test SAN="-fsanitize=address,undefined -fno-omit-frame-pointer" SANNAME=asan
tsan:
	@$(MAKE) --no-print-directory test SAN="-fsanitize=thread" SANNAME=tsan

clean:
	rm -rf build build-* faultbench

-include $(LIB_OBJ:.o=.d) $(B)/harness/main.d
