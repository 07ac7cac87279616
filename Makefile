# claimsd: claims and pharmacy reimbursement intake and adjudication server.
# Plain GNU make. `make` builds, `make check` tests, `make run` serves the
# embedded default, `make asan` tests under ASan+UBSan, `make valgrind` tests
# under Valgrind, `make format` runs clang-format.

CC = gcc
PKGS := libevent libevent_pthreads libevent_openssl json-c hiredis libcurl libssl libcrypto uuid zlib libargon2
TEST_PKGS := check

ifeq ($(SANITIZE),1)
BUILD ?= build/asan
OPT := -O1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
else
BUILD ?= build/release
OPT := -O2
endif

# Expanded when a recipe runs, i.e. after the dependency check below.
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS))
PKG_LIBS = $(shell pkg-config --libs $(PKGS))
TEST_CFLAGS = $(shell pkg-config --cflags $(TEST_PKGS))
TEST_LIBS = $(shell pkg-config --libs $(TEST_PKGS))

# Flags given on the command line or in the environment (`make CFLAGS+=-O0`)
# come after the project's, so they add to them (and a later -O wins).
override CFLAGS := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wshadow -Wconversion -Werror -g $(OPT) \
	-I. -Icommon \
	$(EXTRA_CFLAGS) $(CFLAGS)
override LDFLAGS := $(OPT) $(EXTRA_LDFLAGS) $(LDFLAGS)

PARTS := common codec queue adjudicate eob notify work intake server
LIB_SRCS := $(filter-out server/main.c,$(wildcard $(addsuffix /*.c,$(PARTS))))
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/%.o)
HARNESS_SRCS := $(wildcard tests/harness/*.c)
HARNESS_OBJS := $(HARNESS_SRCS:%.c=$(BUILD)/%.o)
# tests/cluster/: claimsd on a local Redis Cluster (3 masters, 3 replicas).
TEST_SRCS := $(wildcard tests/test_*.c tests/fault/test_*.c tests/cluster/test_*.c)
TEST_BINS := $(TEST_SRCS:tests/%.c=$(BUILD)/tests/%)
CLAIMSD := $(BUILD)/claimsd
# The same server with test-only fault hooks (work/worker.c,
# CLAIMS_FAULT_HOOKS); used by the tests, never installed or run by `make run`.
CLAIMSD_FAULTS := $(BUILD)/claimsd-faults
# The command-line client (docs/claimctl.md): libcurl and json-c only, no
# part of the server's library.
CLAIMCTL := $(BUILD)/claimctl
CLAIMCTL_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(wildcard cli/*.c))
DEPS_STAMP := build/.deps-ok

.SECONDARY:
.PHONY: all check asan valgrind run format format-check clean deps bench bench-cluster coverage \
	lint-layers lint-contracts lint-names
.DEFAULT_GOAL := all

all: $(CLAIMSD) $(CLAIMCTL)

# Installs the Debian packages when run as root, otherwise prints the command.
$(DEPS_STAMP): scripts/deps.sh
	@scripts/deps.sh
	@mkdir -p $(@D) && touch $@
deps: $(DEPS_STAMP)

$(BUILD)/%.o: %.c | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) $(TEST_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/libclaims.a: $(LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(CLAIMSD): $(BUILD)/server/main.o $(BUILD)/libclaims.a
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) -lpthread -lm

$(CLAIMCTL): $(CLAIMCTL_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(shell pkg-config --libs libcurl json-c)

$(BUILD)/faults/worker.o: work/worker.c | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -DCLAIMS_FAULT_HOOKS $(PKG_CFLAGS) -MMD -MP -c $< -o $@

$(CLAIMSD_FAULTS): $(BUILD)/server/main.o $(BUILD)/faults/worker.o $(BUILD)/libclaims.a
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) -lpthread -lm

$(BUILD)/tests/%: $(BUILD)/tests/%.o $(HARNESS_OBJS) $(BUILD)/libclaims.a
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) $(TEST_LIBS) -lpthread -lm

# Each test binary prints Check's summary line; the run fails if any fails.
TEST_ENV = CLAIMSD_BIN=$(abspath $(CLAIMSD)) CLAIMSD_FAULTS_BIN=$(abspath $(CLAIMSD_FAULTS)) \
	  CLAIMS_CONFIG_DIR=$(abspath config) CLAIMCTL_BIN=$(abspath $(CLAIMCTL))

check: lint-layers lint-contracts lint-names $(CLAIMSD) $(CLAIMSD_FAULTS) $(CLAIMCTL) $(TEST_BINS)
	@$(TEST_ENV) scripts/run-tests.sh $(TEST_BINS)
	@$(TEST_ENV) tests/browser/run.sh

# Only queue/ talks to Redis: no hiredis, key format or script call elsewhere
# (the files still exempt are listed, with why, in the script).
lint-layers:
	@scripts/lint-layers.sh

# Every exported function has a one-sentence contract comment directly above
# its declaration (queue/ not checked yet: see the script).
lint-contracts:
	@scripts/lint-contracts.sh

# Every function a folder exports starts with the folder's prefix (queue_,
# intake_, adj_, ...; common/'s modules each their own).
lint-names:
	@scripts/lint-names.sh

asan:
	$(MAKE) SANITIZE=1 check

valgrind: $(CLAIMSD) $(CLAIMSD_FAULTS) $(CLAIMCTL) $(TEST_BINS)
	@$(TEST_ENV) VALGRIND=1 scripts/run-tests.sh $(TEST_BINS)

# Branch coverage of the adjudication rules (gcov), from their unit tests.
ADJ_TESTS := $(patsubst tests/%.c,%,$(wildcard tests/test_adj_*.c))
coverage:
	@rm -rf build/coverage
	@$(MAKE) --no-print-directory BUILD=build/coverage EXTRA_CFLAGS="--coverage -O0" \
	  EXTRA_LDFLAGS="--coverage" $(ADJ_TESTS:%=build/coverage/tests/%) >/dev/null
	@for t in $(ADJ_TESTS); do build/coverage/tests/$$t | tail -1; done
	@cd build/coverage/adjudicate && gcov -b -c -o . $(abspath $(filter-out adjudicate/decision_json.c,$(wildcard adjudicate/*.c))) 2>/dev/null \
	  | awk '/^File .adjudicate\/.*\.c/{f=$$2} /^Taken at least once/{x=$$4; sub(/once:/,"",x); sub(/%/,"",x); n=$$NF; t+=n; k+=x*n/100; print f, $$0} END{printf "adjudicate/ rules: %d of %d branches taken (%.2f%%)\n", k+0.5, t, 100*k/t}'

run: $(CLAIMSD)
	$(CLAIMSD) --config config/claimsd.json

FORMAT_FILES = $(wildcard $(addsuffix /*.[ch],$(PARTS) cli bench tests tests/harness tests/fuzz \
	tests/fault tests/cluster))

format:
	@scripts/deps.sh "make format" clang-format
	clang-format -i $(FORMAT_FILES)

# Fails, naming each file and line, where the code differs from .clang-format.
format-check:
	@scripts/deps.sh "make format-check" clang-format
	@clang-format --dry-run --Werror $(FORMAT_FILES)
	@echo "format-check: $(words $(FORMAT_FILES)) files as .clang-format says"

clean:
	rm -rf build

-include $(LIB_OBJS:.o=.d) $(HARNESS_OBJS:.o=.d) $(TEST_BINS:=.d) $(BUILD)/server/main.d \
	$(BUILD)/faults/worker.d $(CLAIMCTL_OBJS:.o=.d)

# Benchmark (docs/performance.md): never part of `make check`, timing is noisy.
BENCH_BINS := $(addprefix $(BUILD)/bench/,minimal_server durable_ceiling redis_ceiling gen_claims rate_load e2e_stats mem_stats)
$(BUILD)/bench/%: bench/%.c $(BUILD)/libclaims.a | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -MMD -MP -o $@ $< $(BUILD)/libclaims.a $(PKG_LIBS) -lpthread -lm
-include $(BENCH_BINS:=.d)
bench: $(CLAIMSD) $(BENCH_BINS)
	@scripts/deps.sh "make bench" wrk jq curl redis-tools
	CLAIMSD=$(abspath $(CLAIMSD)) BENCH_BIN=$(abspath $(BUILD)/bench) bench/run.sh
# Only the Redis Cluster phase and its one-Redis reference (docs/performance.md).
bench-cluster:
	@BENCH_PHASES=cluster $(MAKE) --no-print-directory bench

# Fuzzing (docs/fuzzing.md): libFuzzer targets of tests/fuzz/ built with clang,
# each with the library, under ASan+UBSan in build/fuzz; each runs for
# FUZZ_SECONDS from its seed corpus. Never part of `make check`; CI runs it after.
FUZZ_SECONDS ?= 60
FUZZ_SEED ?= 1
FUZZ_BUILD := build/fuzz
FUZZ_TARGETS := $(patsubst tests/fuzz/%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
.PHONY: fuzz fuzz-build fuzz-bins
$(FUZZ_BUILD)/fuzzers/%: tests/fuzz/%.c tests/fuzz/fuzz_check.h $(FUZZ_BUILD)/libclaims.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_BUILD)/libclaims.a \
	  $(PKG_LIBS) -lpthread -lm
fuzz-build:
	@scripts/deps.sh "make fuzz" clang libclang-rt-14-dev llvm
	@$(MAKE) --no-print-directory BUILD=$(FUZZ_BUILD) CC=clang \
	  EXTRA_CFLAGS="-O1 $(FUZZ_SAN) -fsanitize=fuzzer-no-link" EXTRA_LDFLAGS="$(FUZZ_SAN)" \
	  fuzz-bins
fuzz-bins: $(FUZZ_TARGETS:%=$(FUZZ_BUILD)/fuzzers/%)
	@:
fuzz: fuzz-build
	@tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_SEED) $(FUZZ_BUILD) $(FUZZ_TARGETS)
