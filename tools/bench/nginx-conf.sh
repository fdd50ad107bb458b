#!/usr/bin/env bash
# nginx-conf.sh WORK PORT WORKERS [HTTP DIRECTIVES]: prints an nginx configuration that
# serves WORK/www as static files on 127.0.0.1:PORT, the baseline of the benchmarks
# (gzip_static: FILE.gz is sent for FILE to clients that accept gzip; brotli_static, when
# Debian's libnginx-mod-http-brotli-static is installed: FILE.br to those that accept br).
brotli_module=/usr/lib/nginx/modules/ngx_http_brotli_static_module.so
if [ -f "$brotli_module" ]; then
    load_brotli="load_module $brotli_module;"
    brotli_static="brotli_static on;"
fi
cat <<CONF
${load_brotli:-}
worker_processes $3;
pid $1/nginx.pid;
error_log $1/nginx-error.log;
events { worker_connections 1024; }
http {
    access_log off;
    default_type text/plain;
    gzip_static on;
    ${brotli_static:-}
    ${4:-}
    server { listen 127.0.0.1:$2; root $1/www; }
}
CONF
