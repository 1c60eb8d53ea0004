import type { CfnValue } from '../cfn/template-types';
import { sub } from './intrinsics';

/**
 * Boot script of a NAT instance (Amazon Linux 2023), as an Fn::Sub text: `${Name}` is filled in by
 * CloudFormation, so shell variables are written `$NAME` (never with braces).
 *
 * It installs a small service that runs at every boot:
 * 1. attach the stack's NAT network interface (the private route tables' target) as device 1;
 * 2. enable IPv4 forwarding and masquerade out of the primary interface, which has the public
 *    address;
 * 3. send traffic back to the VPC through the NAT interface: its source/destination check is off,
 *    the primary interface's is on and would drop replies whose source is an internet address.
 *    (fck-nat turns the primary interface's check off instead, which needs a broader IAM grant.)
 * Amazon Linux names each interface's alternative name after its ENI id, so `ip link show dev eni-…`
 * finds it.
 */
export function natInstanceUserData(networkInterfaceLogicalId: string, vpcCidrParameter: string): CfnValue {
  const service = [
    '#!/bin/bash',
    'set -euo pipefail',
    `ENI_ID='\${${networkInterfaceLogicalId}}'`,
    "REGION='${AWS::Region}'",
    `VPC_CIDR='\${${vpcCidrParameter}}'`,
    'IMDS=http://169.254.169.254/latest',
    "TOKEN=$(curl -sf -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 300' \"$IMDS/api/token\")",
    'meta() { curl -sf -H "X-aws-ec2-metadata-token: $TOKEN" "$IMDS/meta-data/$1"; }',
    'INSTANCE_ID=$(meta instance-id)',
    'PRIMARY_ENI=$(meta "network/interfaces/macs/$(meta mac)/interface-id")',
    "PUBLIC_IF=$(ip -o link show dev \"$PRIMARY_ENI\" | awk -F': ' '{print $2}')",
    "GATEWAY=$(ip -4 route show default dev \"$PUBLIC_IF\" | awk '{print $3; exit}')",
    'if ! ip link show dev "$ENI_ID" >/dev/null 2>&1; then',
    '  until aws ec2 attach-network-interface --region "$REGION" --instance-id "$INSTANCE_ID" \\',
    '      --device-index 1 --network-interface-id "$ENI_ID"; do sleep 5; done',
    '  until ip link show dev "$ENI_ID" >/dev/null 2>&1; do sleep 1; done',
    'fi',
    "NAT_IF=$(ip -o link show dev \"$ENI_ID\" | awk -F': ' '{print $2}')",
    'ip link set dev "$NAT_IF" up',
    'sysctl -q -w net.ipv4.ip_forward=1',
    'for f in /proc/sys/net/ipv4/conf/*/rp_filter; do echo 0 > "$f"; done',
    'ip route replace "$VPC_CIDR" via "$GATEWAY" dev "$NAT_IF" onlink',
    'iptables -t nat -C POSTROUTING -o "$PUBLIC_IF" -j MASQUERADE 2>/dev/null || iptables -t nat -A POSTROUTING -o "$PUBLIC_IF" -j MASQUERADE',
  ];
  const unit = [
    '[Unit]',
    'Description=Groundwork NAT: attach the NAT interface, forward and masquerade',
    'Wants=network-online.target',
    'After=network-online.target',
    '[Service]',
    'Type=oneshot',
    'RemainAfterExit=yes',
    'ExecStart=/usr/local/sbin/groundwork-nat',
    '[Install]',
    'WantedBy=multi-user.target',
  ];
  const userData = [
    '#!/bin/bash',
    'set -euo pipefail',
    // The package mirrors are reached through the primary interface's public address; retry until they answer.
    'until dnf install -y iptables-nft; do sleep 5; done',
    "cat > /usr/local/sbin/groundwork-nat <<'SCRIPT'",
    ...service,
    'SCRIPT',
    'chmod 755 /usr/local/sbin/groundwork-nat',
    "cat > /etc/systemd/system/groundwork-nat.service <<'UNIT'",
    ...unit,
    'UNIT',
    'systemctl daemon-reload',
    'systemctl enable --now groundwork-nat.service',
  ];
  return sub(`${userData.join('\n')}\n`);
}
