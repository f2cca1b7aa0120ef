#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# mkcerts.sh DIR [SERVER_NAME]... - test and demo certificates with openssl.
#
# Writes into DIR (created if needed; existing files are overwritten):
#   ca.crt ca.key              RSA CA        "CN=Edge Test CA,O=Example"
#   ca-ec.crt ca-ec.key        EC P-256 CA   "CN=Edge EC CA,O=Example"
#   inter.crt inter.key        RSA intermediate under ca, "CN=Edge Other Sub CA,O=Example"
#   wrong-ca.crt wrong-ca.key  unrelated CA  "CN=Wrong CA,O=Elsewhere"
#   ca-bundle.crt              ca.crt + ca-ec.crt
#   server.crt server.key      RSA, by ca, for every SERVER_NAME + localhost + 127.0.0.1 + ::1
#   server-ec.crt server-ec.key  EC, by ca-ec, same names
#   client.crt client.key      RSA client cert by ca      (issuer "CN=Edge Test CA,O=Example")
#   client-ec.crt client-ec.key  EC client cert by ca
#   client-inter.crt client-inter.key  client cert by inter, chain includes inter
#                              (chains to ca, but its issuer is the intermediate)
#   client-wrong.crt client-wrong.key  client cert by wrong-ca
#   other.crt other.key        EC server cert by ca for "other.test" only (a wrong name)
#   server-clientauth.crt .key EC cert by ca with the server names but
#                              extendedKeyUsage clientAuth only (not a server)
#   client-serverauth.crt .key EC cert by ca, extendedKeyUsage serverAuth only
#                              (not a client)
# Keys are unencrypted PKCS#8. SERVER_NAME defaults to "gateway.test".
set -euo pipefail

dir=${1:?usage: mkcerts.sh DIR [SERVER_NAME]...}
shift
names=("$@")
[ ${#names[@]} -gt 0 ] || names=(gateway.test)
mkdir -p "$dir"
cd "$dir"

days=3650
rsa() { openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1" 2>/dev/null; }
ec() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

ca() { # name key subj
	openssl req -x509 -new -key "$2" -out "$1.crt" -days $days -subj "$3" \
		-addext "basicConstraints=critical,CA:TRUE" \
		-addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
}

leaf() { # name key subj issuer ext
	openssl req -new -key "$2" -subj "$3" -out "$1.csr" 2>/dev/null
	printf '%s\n' "$5" > "$1.ext"
	openssl x509 -req -in "$1.csr" -CA "$4.crt" -CAkey "$4.key" -CAcreateserial \
		-days $days -out "$1.crt" -extfile "$1.ext" 2>/dev/null
	rm -f "$1.csr" "$1.ext"
}

rsa ca.key && ca ca ca.key "/O=Example/CN=Edge Test CA"
ec ca-ec.key && ca ca-ec ca-ec.key "/O=Example/CN=Edge EC CA"
rsa wrong-ca.key && ca wrong-ca wrong-ca.key "/O=Elsewhere/CN=Wrong CA"
rsa inter.key
leaf inter inter.key "/O=Example/CN=Edge Other Sub CA" ca \
	"basicConstraints=critical,CA:TRUE
keyUsage=critical,keyCertSign,cRLSign"
cat ca.crt ca-ec.crt > ca-bundle.crt

san="subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1"
for n in "${names[@]}"; do san="$san,DNS:$n"; done
srv_ext="basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
$san"
cli_ext="basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=clientAuth"

rsa server.key && leaf server server.key "/O=Example/CN=${names[0]}" ca "$srv_ext"
ec server-ec.key && leaf server-ec server-ec.key "/O=Example/CN=${names[0]}" ca-ec "$srv_ext"
rsa client.key && leaf client client.key "/O=Example/CN=subscriber-1" ca "$cli_ext"
ec client-ec.key && leaf client-ec client-ec.key "/O=Example/CN=subscriber-ec" ca "$cli_ext"
rsa client-inter.key && leaf client-inter client-inter.key "/O=Example/CN=subscriber-inter" inter "$cli_ext"
cat inter.crt >> client-inter.crt
rsa client-wrong.key && leaf client-wrong client-wrong.key "/O=Elsewhere/CN=intruder" wrong-ca "$cli_ext"
# certificates that chain to ca but must be refused for their role or name
ec other.key && leaf other other.key "/O=Example/CN=other.test" ca "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=DNS:other.test"
ec server-clientauth.key && leaf server-clientauth server-clientauth.key "/O=Example/CN=${names[0]}" ca \
	"basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=clientAuth
$san"
ec client-serverauth.key && leaf client-serverauth client-serverauth.key "/O=Example/CN=subscriber-srv" ca \
	"basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth"
rm -f ./*.srl
chmod 600 ./*.key
echo "mkcerts: certificates for ${names[*]} in $(pwd)"
