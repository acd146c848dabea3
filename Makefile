# slotdb — build, run and test.
GO ?= go
PORT ?= 7000

.PHONY: build run test bench deps-test clean

build:
	$(GO) build -o bin/slotdb-server ./cmd/slotdb-server
	$(GO) build -o bin/slotdb ./cmd/slotdb

run: build
	mkdir -p data/$(PORT)
	./bin/slotdb-server --port $(PORT) --bind 127.0.0.1 --dir ./data/$(PORT) \
		--cluster-enabled yes --cluster-own-all-slots

# The tests use a real redis-server/redis-cli/redis-sentinel 7.0 as the reference: install them
# when missing (redis-sentinel is its own Debian package).
deps-test:
	@command -v redis-server >/dev/null && command -v redis-cli >/dev/null && command -v redis-sentinel >/dev/null || { \
		echo "installing redis-server, redis-tools and redis-sentinel from Debian"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server redis-tools redis-sentinel >/dev/null; }

test: deps-test
	$(GO) vet ./...
	$(GO) test -race -count=1 -timeout 30m ./...

bench: build
	$(GO) run ./bench/strings

clean:
	rm -rf bin
