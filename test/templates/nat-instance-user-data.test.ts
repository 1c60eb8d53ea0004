import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { natInstanceUserData, SIGNAL_COMMAND } from '../../src/templates/nat-instance-user-data';
import { subText } from './template-queries';

/**
 * The NAT instance's boot, run as a shell program: bash executes the user data as CloudFormation
 * would hand it over (Fn::Sub filled in), with the commands of the instance stubbed — the metadata
 * service, the AWS CLI, ip, nft, systemctl, dnf — and the system paths it writes moved under a
 * temporary directory. What a real instance does is recorded in a log the tests read.
 */

const VALUES: Record<string, string> = {
  'AWS::Region': 'us-east-1',
  'AWS::StackId': 'arn:aws:cloudformation:us-east-1:123456789012:stack/groundwork-stk-nat/1f2e',
  NatNetworkInterface0: 'eni-0nat',
  VpcCidr: '10.20.0.0/16',
};
const INSTANCE = 'i-0123456789abcdef0';
const PRIMARY = { mac: '0a:00:00:00:00:01', eni: 'eni-0primary', name: 'ens5' };
const NAT = { mac: '0a:00:00:00:00:02', name: 'ens6' };

const template = natInstanceUserData({ networkInterfaceLogicalId: 'NatNetworkInterface0', vpcCidrParameter: 'VpcCidr', signalledLogicalId: 'NatAutoScalingGroup0' });
const userData = subText(template);

interface Instance {
  dir: string;
  /** Whether the NAT interface is attached already (after a reboot) or becomes attached when asked. */
  attached: boolean;
  /** The image ships nft; else dnf installs it, or fails to. */
  imageHasNft: boolean;
  dnfWorks: boolean;
  egressWorks: boolean;
}

function stub(dir: string, name: string, body: string): void {
  const path = join(dir, 'bin', name);
  writeFileSync(path, `#!/bin/bash\n${body}\n`);
  chmodSync(path, 0o755);
}

/** A fresh "instance": stub commands on PATH, and a root for the paths the scripts write. */
function instance(options: Partial<Omit<Instance, 'dir'>> = {}): Instance {
  const dir = mkdtempSync(join(tmpdir(), 'gw-nat-boot-'));
  for (const sub of ['bin', 'root/usr/local/sbin', 'root/etc/systemd/system', 'root/etc/sysctl.d', 'root/run', 'state']) mkdirSync(join(dir, sub), { recursive: true });
  for (const iface of ['all', 'default', PRIMARY.name, NAT.name]) {
    mkdirSync(join(dir, 'root/proc/sys/net/ipv4/conf', iface), { recursive: true });
    for (const file of ['rp_filter', 'send_redirects']) writeFileSync(join(dir, 'root/proc/sys/net/ipv4/conf', iface, file), '1\n');
  }
  const state = { attached: false, imageHasNft: false, dnfWorks: true, egressWorks: true, ...options };
  if (state.attached) writeFileSync(join(dir, 'state/attached'), '');
  const log = `echo "$(basename "$0") $*" >> ${dir}/calls`;
  // The instance metadata service (IMDSv2), as curl sees it; any other URL is the egress check.
  stub(dir, 'curl', `${log}
url="\${@: -1}"
case "$url" in
  */api/token) echo token ;;
  */meta-data/instance-id) echo ${INSTANCE} ;;
  */meta-data/mac) echo ${PRIMARY.mac} ;;
  */meta-data/network/interfaces/macs/) echo "${PRIMARY.mac}/"; [ -e ${dir}/state/attached ] && echo "${NAT.mac}/" ;;
  */macs/${PRIMARY.mac}/interface-id) echo ${PRIMARY.eni} ;;
  */macs/${NAT.mac}/interface-id) [ -e ${dir}/state/attached ] && echo ${VALUES['NatNetworkInterface0']} || exit 22 ;;
  https://cloudformation.*) ${state.egressWorks ? 'exit 0' : 'exit 7'} ;;
  *) exit 22 ;;
esac`);
  stub(dir, 'aws', `${log}
[ "$2" = attach-network-interface ] && touch ${dir}/state/attached
exit 0`);
  stub(dir, 'ip', `${log}
if [ "$1" = -o ]; then
  echo "1: lo: <LOOPBACK,UP> mtu 65536 qdisc noqueue state UNKNOWN mode DEFAULT    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00"
  echo "2: ${PRIMARY.name}: <BROADCAST,MULTICAST,UP> mtu 9001 qdisc mq state UP mode DEFAULT    link/ether ${PRIMARY.mac} brd ff:ff:ff:ff:ff:ff    altname eni-0primary"
  [ -e ${dir}/state/attached ] && echo "3: ${NAT.name}: <BROADCAST,MULTICAST> mtu 9001 qdisc mq state DOWN mode DEFAULT    link/ether ${NAT.mac} brd ff:ff:ff:ff:ff:ff"
fi
exit 0`);
  stub(dir, 'sysctl', `${log}\n[ "$1" = -n ] && echo 1\nexit 0`);
  const nft = `${log}\ncat >> ${dir}/nft-input\necho "--" >> ${dir}/nft-input`;
  if (state.imageHasNft) stub(dir, 'nft', nft);
  // dnf, when it works, installs nft.
  stub(dir, 'dnf', state.dnfWorks ? `${log}\ncat > ${dir}/bin/nft <<'NFT'\n#!/bin/bash\n${nft}\nNFT\nchmod 755 ${dir}/bin/nft` : `${log}\nexit 1`);
  for (const name of ['dd', 'mkswap', 'swapon', 'swapoff', 'sleep', 'journalctl']) stub(dir, name, `${log}\nexit 0`);
  // systemd: starting the unit runs its ExecStart (the script the first boot wrote), once.
  stub(dir, 'systemctl', `${log}
case "$1" in
  start) bash ${dir}/root/usr/local/sbin/groundwork-nat >> ${dir}/service-output 2>&1; echo $? > ${dir}/state/service-exit ;;
  is-active) [ "$(cat ${dir}/state/service-exit 2>/dev/null)" = 0 ] ;;
  *) exit 0 ;;
esac`);
  return { dir, ...state };
}

/** The user data as the instance runs it: Fn::Sub filled in, system paths moved under the instance's root. */
function rooted(script: string, dir: string): string {
  let text = script.replace(/\$\{([^}]+)\}/g, (_, name: string) => {
    const value = VALUES[name];
    if (value === undefined) throw new Error(`Fn::Sub names ${name}, which the template does not give`);
    return value;
  });
  for (const path of ['/usr/local/sbin/', '/etc/systemd/system/', '/etc/sysctl.d/', '/run/groundwork-nat', '/proc/sys/net/', '/swapfile']) text = text.split(path).join(`${dir}/root${path}`);
  return text;
}

function boot(vm: Instance): { status: number | null; output: string; calls: string[] } {
  const run = spawnSync('bash', ['-c', rooted(userData, vm.dir)], { env: { PATH: `${vm.dir}/bin:/usr/bin:/bin`, HOME: vm.dir }, encoding: 'utf8', timeout: 60_000 });
  const calls = existsSync(join(vm.dir, 'calls')) ? readFileSync(join(vm.dir, 'calls'), 'utf8').trim().split('\n') : [];
  return { status: run.status, output: `${run.stdout}${run.stderr}${existsSync(join(vm.dir, 'service-output')) ? readFileSync(join(vm.dir, 'service-output'), 'utf8') : ''}`, calls };
}

const signals = (calls: string[]) => calls.filter((call) => call.startsWith(`${SIGNAL_COMMAND.split(' ')[0]} cloudformation signal-resource`));
const vms: Instance[] = [];
const fresh = (options: Partial<Omit<Instance, 'dir'>> = {}) => {
  const vm = instance(options);
  vms.push(vm);
  return vm;
};
afterAll(() => {
  for (const vm of vms) rmSync(vm.dir, { recursive: true, force: true });
});

describe('the NAT instance boot, run', () => {
  it('is valid bash, both the user data and the service it writes', () => {
    const vm = fresh();
    expect(spawnSync('bash', ['-n'], { input: rooted(userData, vm.dir), encoding: 'utf8' }).stderr).toBe('');
    boot(vm);
    expect(spawnSync('bash', ['-n', join(vm.dir, 'root/usr/local/sbin/groundwork-nat')], { encoding: 'utf8' }).stderr).toBe('');
  });

  it('turns the primary interface\'s check off, attaches the NAT interface, masquerades the VPC, then signals SUCCESS once egress answers', () => {
    // Act
    const vm = fresh({ imageHasNft: true });
    const { status, output, calls } = boot(vm);

    // Assess
    expect({ status, output }).toEqual({ status: 0, output: expect.stringContaining(`forwarding 10.20.0.0/16 from ${NAT.name} (eni-0nat) out of ${PRIMARY.name} (${PRIMARY.eni})`) });
    expect(calls).toContain(`aws ec2 modify-network-interface-attribute --region us-east-1 --network-interface-id ${PRIMARY.eni} --no-source-dest-check`);
    expect(calls).toContain(`aws ec2 attach-network-interface --region us-east-1 --instance-id ${INSTANCE} --device-index 1 --network-interface-id eni-0nat`);
    expect(readFileSync(join(vm.dir, 'nft-input'), 'utf8')).toContain(`ip saddr 10.20.0.0/16 oifname "${PRIMARY.name}" masquerade`);
    for (const iface of ['all', NAT.name]) expect(readFileSync(join(vm.dir, 'root/proc/sys/net/ipv4/conf', iface, 'rp_filter'), 'utf8').trim()).toBe('0');
    expect(signals(calls)).toEqual([
      `aws cloudformation signal-resource --region us-east-1 --stack-name ${VALUES['AWS::StackId']} --logical-resource-id NatAutoScalingGroup0 --unique-id ${INSTANCE} --status SUCCESS`,
    ]);
    // The signal is the last thing, after the egress check through the public interface.
    const egress = calls.findIndex((call) => call.includes(`--interface ${PRIMARY.name} https://cloudformation.us-east-1.amazonaws.com/`));
    expect(egress).toBeGreaterThan(-1);
    expect(calls.indexOf(signals(calls)[0] ?? '')).toBeGreaterThan(egress);
    expect(calls.filter((call) => call.startsWith('dnf'))).toEqual([]);
  });

  it('after a reboot, with the interface still attached, attaches nothing and sets the same table again', () => {
    // Prepare: the first boot wrote the service; the interface stays attached.
    const vm = fresh({ imageHasNft: true });
    boot(vm);
    const first = readFileSync(join(vm.dir, 'nft-input'), 'utf8');

    // Act: what systemd runs at the next boot.
    writeFileSync(join(vm.dir, 'calls'), '');
    const run = spawnSync('bash', [join(vm.dir, 'root/usr/local/sbin/groundwork-nat')], { env: { PATH: `${vm.dir}/bin:/usr/bin:/bin` }, encoding: 'utf8' });
    const calls = readFileSync(join(vm.dir, 'calls'), 'utf8').trim().split('\n');

    // Assess
    expect(run.status).toBe(0);
    expect(calls.filter((call) => call.includes('attach-network-interface'))).toEqual([]);
    expect(readFileSync(join(vm.dir, 'nft-input'), 'utf8')).toBe(`${first}${first}`);
    // The table is replaced whole, so applying it twice leaves one rule.
    expect(first).toMatch(/^table ip groundwork_nat\ndelete table ip groundwork_nat\ntable ip groundwork_nat \{/);
  });

  it('installs nftables only when the image has no netfilter tool, bounded, with swap first', () => {
    const vm = fresh({ imageHasNft: false, dnfWorks: true });
    const { status, calls } = boot(vm);
    expect(status).toBe(0);
    const installs = calls.filter((call) => call.startsWith('dnf'));
    expect(installs).toEqual(['dnf -y -q --setopt=install_weak_deps=False install nftables']);
    expect(calls.findIndex((call) => call.startsWith('swapon'))).toBeLessThan(calls.findIndex((call) => call.startsWith('dnf')));
    // Every dnf the user data runs is under a timeout, and none in a loop without end.
    expect(userData.split('\n').filter((line) => /\bdnf\b/.test(line) && !line.trim().startsWith('#') && !line.includes('echo'))).toEqual([expect.stringMatching(/^\s*timeout \d+ dnf /)]);
    expect(signals(calls).map((call) => call.split(' ').at(-1))).toEqual(['SUCCESS']);
  });

  it('signals FAILURE, never SUCCESS, when nftables cannot be installed (twice at most), or egress does not answer', () => {
    for (const options of [{ imageHasNft: false, dnfWorks: false }, { imageHasNft: true, egressWorks: false }]) {
      const vm = fresh(options);
      const { status, calls } = boot(vm);
      expect(status).not.toBe(0);
      expect(signals(calls).map((call) => call.split(' ').at(-1))).toEqual(['FAILURE']);
      expect(calls.filter((call) => call.startsWith('dnf')).length).toBeLessThanOrEqual(2);
    }
  });
});
