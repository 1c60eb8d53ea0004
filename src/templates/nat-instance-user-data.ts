import type { CfnValue } from '../cfn/template-types';
import { sub } from './intrinsics';

/**
 * The boot of a NAT instance (Amazon Linux 2023 on a 512 MiB t4g.nano), as an Fn::Sub text:
 * `${Name}` is filled in by CloudFormation, so shell variables are written `$NAME`, never with
 * braces. Decision 0015 says why each step is there and where it comes from.
 *
 * The first boot (cloud-init runs the user data once per instance):
 * 1. writes the service below, its unit and a sysctl drop-in;
 * 2. makes sure a netfilter tool is there: `nft` or `iptables` if the image has one, else
 *    nftables from the Amazon Linux repositories, bounded (a swap file first, then at most two
 *    tries of three minutes each; the AL2023 maintainers report dnf OOM-killed on .nano instances,
 *    amazonlinux/amazon-linux-2023#404) — if that fails the instance says so (below);
 * 3. starts the service and waits for it, at most six minutes;
 * 4. checks egress: forwarding is on, and an AWS endpoint answers through the public interface;
 * 5. only then signals SUCCESS to CloudFormation (`aws cloudformation signal-resource`: the AWS CLI
 *    ships with the AL2023 image, cfn-signal does not, amazonlinux/amazon-linux-2023#768); any
 *    failure before signals FAILURE at once. An instance that cannot signal at all leaves the
 *    auto-scaling group's CreationPolicy to time out. Either way the nat stack fails and rolls back.
 *
 * The service (`groundwork-nat.service`, after network-online, at every boot, so a reboot or a
 * replacement instance sets itself up again; every step is idempotent and bounded, and systemd
 * restarts it on failure):
 * 1. finds its interfaces by MAC through the instance metadata service (never by the `eni-…`
 *    alternative names amazon-ec2-net-utils adds later in the boot);
 * 2. turns off the source/destination check of its primary interface, as fck-nat does: replies to
 *    the private subnets then leave by the routes the system already has, and no route of ours can
 *    be dropped when systemd-networkd reconfigures an interface;
 * 3. attaches the stack's NAT interface (the private route tables' target) as device 1, unless it
 *    is already attached to this instance; a replaced instance may still hold it, so it retries for
 *    up to five minutes;
 * 4. turns forwarding on and reverse-path filtering off (packets from the private subnets come in
 *    on the NAT interface and leave by the primary one);
 * 5. masquerades what comes from the VPC and leaves by the primary interface (nftables, in one
 *    table it replaces whole, so running twice changes nothing).
 * The approach follows fck-nat (github.com/AndrewGuenther/fck-nat, service/fck-nat.sh; MIT
 * licence, Copyright (c) 2021 Andrew Guenther), written anew here.
 */

/** How long CloudFormation waits for the instance's signal: launch and boot (~1.5 min), the bounded package install (≤ 6.5 min), the service (≤ 6 min). */
export const NAT_SIGNAL_TIMEOUT = 'PT15M';

/** What the user data runs to signal; the sandbox recognises an instance that signals by it. */
export const SIGNAL_COMMAND = 'aws cloudformation signal-resource';

export interface NatUserDataInput {
  /** The NAT network interface the instance attaches (its logical id: `${…}` gives its id). */
  networkInterfaceLogicalId: string;
  /** The parameter holding the VPC block. */
  vpcCidrParameter: string;
  /** The resource whose CreationPolicy waits for this instance's signal. */
  signalledLogicalId: string;
}

/** Shell helpers both scripts use: the instance metadata service (IMDSv2) and interfaces by MAC. */
const METADATA = [
  'IMDS=http://169.254.169.254/latest',
  "TOKEN=$(curl -sSf --retry 10 --retry-connrefused --retry-delay 1 --max-time 5 -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 900' \"$IMDS/api/token\") || fail 'no instance metadata token'",
  'meta() { curl -sSf --retry 5 --retry-delay 1 --max-time 5 -H "X-aws-ec2-metadata-token: $TOKEN" "$IMDS/meta-data/$1"; }',
  // `ip -o link` prints "2: ens5: <…> … link/ether 0a:…"; the name, for the line with that MAC.
  "link_of_mac() { ip -o link show | awk -v mac=\"$1\" 'tolower($0) ~ (\"link/ether \" tolower(mac)) { sub(/:$/, \"\", $2); sub(/@.*/, \"\", $2); print $2; exit }'; }",
];

function serviceScript(input: NatUserDataInput): string[] {
  return [
    '#!/bin/bash',
    '# Groundwork NAT instance: runs at every boot (groundwork-nat.service). See the comments in',
    '# src/templates/nat-instance-user-data.ts and decision 0015 of the Groundwork repository.',
    '# Approach after fck-nat (github.com/AndrewGuenther/fck-nat, MIT licence, (c) 2021 Andrew Guenther).',
    'set -uo pipefail',
    `ENI_ID='\${${input.networkInterfaceLogicalId}}'`,
    "REGION='${AWS::Region}'",
    `VPC_CIDR='\${${input.vpcCidrParameter}}'`,
    'log() { echo "groundwork-nat: $*"; }',
    'fail() { log "$*"; exit 1; }',
    ...METADATA,
    'INSTANCE_ID=$(meta instance-id) || fail "no instance id"',
    'PRIMARY_MAC=$(meta mac) || fail "no MAC address"',
    'PRIMARY_ENI=$(meta "network/interfaces/macs/$PRIMARY_MAC/interface-id") || fail "no primary interface id"',
    'PUBLIC_IF=$(link_of_mac "$PRIMARY_MAC")',
    '[ -n "$PUBLIC_IF" ] || fail "no interface has the MAC $PRIMARY_MAC"',
    // A few tries, growing apart: the AWS API may throttle, the instance role may take a moment.
    'retry() { local n; for n in 1 2 3 4 5 6; do "$@" && return 0; sleep $((n * 5)); done; return 1; }',
    '',
    '# 1. The primary interface may carry packets neither from nor to itself: replies to the VPC leave by it.',
    'retry aws ec2 modify-network-interface-attribute --region "$REGION" --network-interface-id "$PRIMARY_ENI" --no-source-dest-check \\',
    '  || fail "could not turn off the source/destination check of $PRIMARY_ENI"',
    '',
    '# 2. The NAT interface as device 1; already attached to this instance counts as done.',
    'nat_mac() {',
    '  local mac',
    '  for mac in $(meta network/interfaces/macs/ | tr -d /); do',
    '    [ "$(meta "network/interfaces/macs/$mac/interface-id")" = "$ENI_ID" ] && { echo "$mac"; return 0; }',
    '  done',
    '  return 1',
    '}',
    'NAT_MAC=""',
    'DEADLINE=$(( $(date +%s) + 300 ))',
    'until NAT_MAC=$(nat_mac); do',
    '  [ "$(date +%s)" -lt "$DEADLINE" ] || fail "$ENI_ID is still not attached to $INSTANCE_ID after five minutes"',
    '  aws ec2 attach-network-interface --region "$REGION" --instance-id "$INSTANCE_ID" --device-index 1 --network-interface-id "$ENI_ID" >/dev/null \\',
    '    || log "attaching $ENI_ID failed (a replaced instance may still hold it); trying again"',
    '  sleep 5',
    'done',
    'NAT_IF=""',
    'for _ in $(seq 1 60); do NAT_IF=$(link_of_mac "$NAT_MAC"); [ -n "$NAT_IF" ] && break; sleep 1; done',
    '[ -n "$NAT_IF" ] || fail "no interface has the MAC $NAT_MAC of $ENI_ID"',
    'ip link set dev "$NAT_IF" up || fail "could not bring $NAT_IF up"',
    '',
    '# 3. Forward; packets from the private subnets arrive on the NAT interface and leave by the primary one.',
    'sysctl -q -w net.ipv4.ip_forward=1 || fail "could not turn forwarding on"',
    'for f in /proc/sys/net/ipv4/conf/*/rp_filter /proc/sys/net/ipv4/conf/*/send_redirects; do echo 0 > "$f"; done',
    '',
    '# 4. Masquerade what the VPC sends out of the primary interface (one table, replaced whole).',
    'if command -v nft >/dev/null; then',
    "  nft -f - <<RULES || fail 'nft refused the NAT table'",
    'table ip groundwork_nat',
    'delete table ip groundwork_nat',
    'table ip groundwork_nat {',
    '  chain postrouting {',
    '    type nat hook postrouting priority srcnat; policy accept;',
    '    ip saddr $VPC_CIDR oifname "$PUBLIC_IF" masquerade',
    '  }',
    '}',
    'RULES',
    'elif command -v iptables >/dev/null; then',
    '  iptables -t nat -C POSTROUTING -s "$VPC_CIDR" -o "$PUBLIC_IF" -j MASQUERADE 2>/dev/null \\',
    '    || iptables -t nat -A POSTROUTING -s "$VPC_CIDR" -o "$PUBLIC_IF" -j MASQUERADE || fail "iptables refused the masquerade rule"',
    'else',
    '  fail "neither nft nor iptables is installed"',
    'fi',
    '',
    '# 5. What the first boot checks before it signals.',
    '[ "$(sysctl -n net.ipv4.ip_forward)" = 1 ] || fail "forwarding is off"',
    'mkdir -p /run/groundwork-nat',
    'printf "PUBLIC_IF=%s\\nNAT_IF=%s\\n" "$PUBLIC_IF" "$NAT_IF" > /run/groundwork-nat/interfaces',
    'log "forwarding $VPC_CIDR from $NAT_IF ($ENI_ID) out of $PUBLIC_IF ($PRIMARY_ENI)"',
  ];
}

const UNIT = [
  '[Unit]',
  'Description=Groundwork NAT: attach the NAT interface, forward and masquerade',
  'Wants=network-online.target',
  'After=network-online.target',
  // At most five starts an hour: a NAT that cannot come up fails loudly instead of looping.
  'StartLimitIntervalSec=3600',
  'StartLimitBurst=5',
  '[Service]',
  'Type=oneshot',
  'RemainAfterExit=yes',
  'ExecStart=/usr/local/sbin/groundwork-nat',
  // Allowed for Type=oneshot since systemd 236 (systemd/systemd#7474); AL2023 runs systemd 252.
  'Restart=on-failure',
  'RestartSec=10',
  'TimeoutStartSec=600',
  '[Install]',
  'WantedBy=multi-user.target',
];

/** Applied at every boot before the service runs; the service sets the same values again. */
const SYSCTL = ['net.ipv4.ip_forward = 1', 'net.ipv4.conf.all.rp_filter = 0', 'net.ipv4.conf.default.rp_filter = 0'];

function firstBoot(input: NatUserDataInput): string[] {
  return [
    '#!/bin/bash',
    '# Groundwork NAT instance, first boot. Signals CloudFormation only once egress works.',
    'set -uo pipefail',
    "REGION='${AWS::Region}'",
    "STACK='${AWS::StackId}'",
    `RESOURCE='${input.signalledLogicalId}'`,
    'INSTANCE_ID=unknown',
    'signal() {',
    '  local n',
    '  for n in 1 2 3 4 5; do',
    `    ${SIGNAL_COMMAND} --region "$REGION" --stack-name "$STACK" --logical-resource-id "$RESOURCE" --unique-id "$INSTANCE_ID" --status "$1" && return 0`,
    '    sleep $((n * 5))',
    '  done',
    '  echo "groundwork-nat: could not signal $1 to CloudFormation"',
    '  return 1',
    '}',
    // SignalResource carries no reason: the reason is on the instance's console output.
    'fail() { echo "groundwork-nat: $*"; signal FAILURE; exit 1; }',
    ...METADATA,
    'INSTANCE_ID=$(meta instance-id) || fail "no instance id"',
    '',
    "cat > /usr/local/sbin/groundwork-nat <<'SCRIPT'",
    ...serviceScript(input),
    'SCRIPT',
    'chmod 755 /usr/local/sbin/groundwork-nat',
    "cat > /etc/systemd/system/groundwork-nat.service <<'UNIT'",
    ...UNIT,
    'UNIT',
    "cat > /etc/sysctl.d/90-groundwork-nat.conf <<'SYSCTL'",
    ...SYSCTL,
    'SYSCTL',
    '',
    '# A netfilter tool: the image\'s own, or nftables installed now, bounded (dnf can be OOM-killed on 512 MiB).',
    'if ! command -v nft >/dev/null && ! command -v iptables >/dev/null; then',
    '  if [ ! -e /swapfile ]; then',
    '    dd if=/dev/zero of=/swapfile bs=1M count=1024 status=none && chmod 600 /swapfile && mkswap -q /swapfile && swapon /swapfile',
    '  fi',
    '  for attempt in 1 2; do',
    '    timeout 180 dnf -y -q --setopt=install_weak_deps=False install nftables && break',
    '    echo "groundwork-nat: installing nftables failed (attempt $attempt)"',
    '  done',
    '  swapoff /swapfile 2>/dev/null; rm -f /swapfile',
    '  command -v nft >/dev/null || fail "nftables could not be installed"',
    'fi',
    '',
    'systemctl daemon-reload',
    'systemctl enable groundwork-nat.service || fail "could not enable groundwork-nat.service"',
    'systemctl start --no-block groundwork-nat.service',
    'DEADLINE=$(( $(date +%s) + 360 ))',
    'until systemctl is-active --quiet groundwork-nat.service; do',
    '  [ "$(date +%s)" -lt "$DEADLINE" ] || fail "groundwork-nat.service is not active after six minutes: $(journalctl -u groundwork-nat.service -n 3 --no-pager -o cat | tr "\\n" " ")"',
    '  sleep 5',
    'done',
    '',
    '# Egress: forwarding on, and an AWS endpoint answers through the public interface (any HTTP status will do).',
    '. /run/groundwork-nat/interfaces || fail "the service recorded no interfaces"',
    '[ "$(sysctl -n net.ipv4.ip_forward)" = 1 ] || fail "forwarding is off"',
    'curl -sS -o /dev/null --retry 5 --retry-all-errors --retry-delay 3 --max-time 10 --interface "$PUBLIC_IF" "https://cloudformation.$REGION.amazonaws.com/" \\',
    '  || fail "no egress through $PUBLIC_IF"',
    'signal SUCCESS || exit 1',
  ];
}

export function natInstanceUserData(input: NatUserDataInput): CfnValue {
  return sub(`${firstBoot(input).join('\n')}\n`);
}
