//! Helpers shared by the benchmark examples (included with `#[path]`).

/// Gives freed heap back to the OS between repeats (untimed), as the Python benchmark
/// does; glibc only, a no-op elsewhere.
pub fn trim_heap() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        extern "C" {
            fn malloc_trim(pad: usize) -> std::ffi::c_int;
        }
        // SAFETY: malloc_trim only releases free memory held by the allocator.
        unsafe {
            malloc_trim(0);
        }
    }
}

/// CPU time consumed so far, in seconds: `thread` for the calling thread, otherwise the
/// whole process (all threads). The same clocks as Python's `time.thread_time()` /
/// `time.process_time()`; 0 where unavailable.
pub fn cpu_time_s(thread: bool) -> f64 {
    #[cfg(target_os = "linux")]
    {
        #[repr(C)]
        struct Timespec {
            tv_sec: i64,
            tv_nsec: i64,
        }
        extern "C" {
            fn clock_gettime(clock: std::ffi::c_int, out: *mut Timespec) -> std::ffi::c_int;
        }
        const CLOCK_PROCESS_CPUTIME_ID: std::ffi::c_int = 2;
        const CLOCK_THREAD_CPUTIME_ID: std::ffi::c_int = 3;
        let mut ts = Timespec { tv_sec: 0, tv_nsec: 0 };
        let clock = if thread { CLOCK_THREAD_CPUTIME_ID } else { CLOCK_PROCESS_CPUTIME_ID };
        // SAFETY: clock_gettime writes one timespec (64-bit fields on 64-bit Linux).
        if unsafe { clock_gettime(clock, &mut ts) } == 0 {
            return ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9;
        }
    }
    let _ = thread;
    0.0
}
