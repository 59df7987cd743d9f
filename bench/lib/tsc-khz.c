/* Prints the build host's TSC frequency in kHz, measured against CLOCK_MONOTONIC_RAW.
 *
 * A TCG guest's TSC is the host's TSC (QEMU reads the host's counter for the guest's rdtsc), so the
 * bench guest boots with tsc_early_khz=<this>: otherwise its kernel calibrates the TSC against the
 * emulated PIT, which fails when the host is busy ("tsc: Unable to calibrate against PIT", TSC
 * marked unstable) and the boot then hangs with no usable clock. */
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <x86intrin.h>

/* One (ns, tsc) pair, taken where the clock read around the rdtsc was quickest: a preemption
 * between the reads would otherwise skew the pair. */
static void sample(double *ns, uint64_t *tsc)
{
	double best = 1e18;
	for (int i = 0; i < 200; i++) {
		struct timespec a, b;
		clock_gettime(CLOCK_MONOTONIC_RAW, &a);
		uint64_t t = __rdtsc();
		clock_gettime(CLOCK_MONOTONIC_RAW, &b);
		double na = (double)a.tv_sec * 1e9 + (double)a.tv_nsec;
		double nb = (double)b.tv_sec * 1e9 + (double)b.tv_nsec;
		if (nb - na < best) {
			best = nb - na;
			*ns = (na + nb) / 2;
			*tsc = t;
		}
	}
}

int main(void)
{
	double n0, n1;
	uint64_t t0, t1;
	sample(&n0, &t0);
	struct timespec pause = {.tv_sec = 0, .tv_nsec = 300 * 1000 * 1000};
	while (nanosleep(&pause, &pause) != 0) {
	}
	sample(&n1, &t1);
	if (n1 <= n0 || t1 <= t0) {
		fprintf(stderr, "tsc-khz: the TSC or the clock did not advance\n");
		return 1;
	}
	printf("%.0f\n", (double)(t1 - t0) / (n1 - n0) * 1e6);
	return 0;
}
