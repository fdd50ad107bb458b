#!/usr/bin/env bash
# nginx-conf.sh WORK PORT WORKERS [HTTP DIRECTIVES]: prints an nginx configuration that
# serves WORK/www as static files on 127.0.0.1:PORT, the baseline of the benchmarks
# (gzip_static: FILE.gz is sent for FILE to clients that accept gzip).
cat <<CONF
worker_processes $3;
pid $1/nginx.pid;
error_log $1/nginx-error.log;
events { worker_connections 1024; }
http {
    access_log off;
    default_type text/plain;
    gzip_static on;
    ${4:-}
    server { listen 127.0.0.1:$2; root $1/www; }
}
CONF
