"""Local pavilion simulators: one per platform, on loopback, speaking that
platform's wire format (signatures, error bodies, throttling codes, window caps,
paging) with switches to inject faults.  Used by the tests and runnable for the demo."""
