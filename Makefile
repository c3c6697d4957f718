# Convenience targets; the scripts do the work (and install what they need).
.PHONY: run test bench fuzz clean
run:
	scripts/run.sh $(ARGS)
test:
	scripts/test.sh
bench:
	bench/run.sh
fuzz:
	scripts/fuzz.sh $(SECONDS)
clean:
	rm -rf build build-asan build-release build-fuzz
