# Convenience targets; the scripts do the work (and install what they need).
.PHONY: run test bench clean
run:
	scripts/run.sh $(ARGS)
test:
	scripts/test.sh
bench:
	bench/run.sh
clean:
	rm -rf build build-asan build-release
