#!/bin/sh
# A throwaway CA and a server certificate for 127.0.0.1 / localhost, made at
# bench time into DIR (default build/bench/tls). Never committed.
#   sh bench/make_tls.sh [DIR]   ->  DIR/ca.pem, DIR/server.pem, DIR/server.key
set -eu
dir=${1:-build/bench/tls}
mkdir -p "$dir"
cd "$dir"
umask 077
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 \
  -subj "/CN=qbench bench throwaway CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr \
  -subj "/CN=127.0.0.1" 2>/dev/null
printf '%s\n' "basicConstraints=CA:FALSE" "keyUsage=critical,digitalSignature,keyEncipherment" \
  "extendedKeyUsage=serverAuth" "subjectAltName=IP:127.0.0.1,DNS:localhost" > server.ext
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem \
  -days 2 -extfile server.ext 2>/dev/null
rm -f server.csr server.ext ca.srl ca.key
chmod 644 ca.pem server.pem
