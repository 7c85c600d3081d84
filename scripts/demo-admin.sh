#!/usr/bin/env bash
# Create the demo sysadmin once; its password is kept in demo/admin-password.txt.
#   scripts/demo-admin.sh INI
set -euo pipefail
ini=$1
ckan=.venv/bin/ckan
name=admin
password_file=demo/admin-password.txt

if $ckan -c "$ini" user show "$name" 2>/dev/null | grep -q "name=$name"; then
    echo "Sysadmin '$name' exists; its password is in $password_file"
    exit 0
fi
password=$(.venv/bin/python -c "import secrets; print(secrets.token_urlsafe(12))")
umask 077
echo "$password" > "$password_file"
$ckan -c "$ini" user add "$name" email=admin@example.invalid password="$password" >/dev/null
$ckan -c "$ini" sysadmin add "$name" >/dev/null
echo "Created sysadmin '$name'; its password is in $password_file"
