#!/bin/sh
# gen.sh N > config.json : a docker config.json with N inline entries
n=${1:-10000}
printf '{\n\t"auths": {\n'
i=0
while [ "$i" -lt "$n" ]; do
	sep=,; [ "$i" -eq $((n - 1)) ] && sep=
	auth=$(printf 'user%d:pass%d' "$i" "$i" | base64)
	printf '\t\t"reg%05d.example.com": {\n\t\t\t"auth": "%s"\n\t\t}%s\n' "$i" "$auth" "$sep"
	i=$((i + 1))
done
printf '\t}\n}\n'
