"""Getting a run's findings out: gzip and per-run files (``files``), and SIEM sinks —
Splunk HEC (``hec``) and RFC 5424 syslog over TCP/TLS (``syslog``) — fed in bounded
batches (``buffer``) with retries (``retry``) by ``run``. See docs/siem.md."""
