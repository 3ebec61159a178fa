import assert from 'node:assert/strict';
import { test } from 'node:test';
import { groupFromConventions, resolveDistributedOptions } from '../../src/distributed/options';
import { resolveTrainSettings } from '../../src/train/options';

test('flags and torchrun environment variables give the group; flags win', () => {
  assert.equal(groupFromConventions({}, {}), undefined);
  assert.equal(groupFromConventions({}, { WORLD_SIZE: '1', RANK: '0' }), undefined, 'a world of one is a single process');
  assert.deepEqual(groupFromConventions({}, { WORLD_SIZE: '4', RANK: '2', MASTER_ADDR: 'node-a', MASTER_PORT: '29400' }),
    { worldSize: 4, rank: 2, masterAddress: 'node-a', masterPort: 29400, timeoutSeconds: undefined });
  assert.deepEqual(groupFromConventions({ worldSize: 2, rank: 1, master: '[fd00::1]:1234', timeoutSeconds: 9 }, { WORLD_SIZE: '4', RANK: '2', MASTER_ADDR: 'x' }),
    { worldSize: 2, rank: 1, masterAddress: 'fd00::1', masterPort: 1234, timeoutSeconds: 9 });
  assert.equal(groupFromConventions({ worldSize: 2, rank: 0, master: 'node-a' }, {})?.masterPort, 29500, "torchrun's default port");
  assert.equal(groupFromConventions({ worldSize: 2, rank: 0, master: 'node-a' }, { GLOO_SOCKET_IFNAME: 'eth1' })?.networkInterface, 'eth1');
});

test('an incomplete or malformed group is a one-line error that says what to give', () => {
  assert.throws(() => groupFromConventions({ rank: 1 }, {}), /need --world-size/);
  assert.throws(() => groupFromConventions({ worldSize: 2 }, {}), /needs this process's rank: give --rank/);
  assert.throws(() => groupFromConventions({ worldSize: 2, rank: 0 }, {}), /needs the address of rank 0/);
  assert.throws(() => groupFromConventions({}, { WORLD_SIZE: 'two' }), /WORLD_SIZE must be a whole number, got 'two'/);
  assert.throws(() => groupFromConventions({ worldSize: 2, rank: 0, master: 'a:b' }, {}), /port\) must be a whole number/);
  assert.throws(() => resolveDistributedOptions({ worldSize: 2, rank: 2, masterAddress: 'a', masterPort: 1 }), /--rank must be below --world-size/);
  assert.throws(() => resolveDistributedOptions({ worldSize: 2, rank: 0, masterAddress: 'a', masterPort: 70000 }), /port\) must be a whole number from 1 to 65535/);
  assert.throws(() => resolveDistributedOptions({ worldSize: 2, rank: 0, masterAddress: 'a', masterPort: 1, timeoutSeconds: 0 }), /--timeout must be/);
});

test('the global batch must divide among the ranks', () => {
  const distributed = { worldSize: 3, rank: 0, masterAddress: '127.0.0.1', masterPort: 29500 };
  assert.throws(() => resolveTrainSettings({ out: 'm', batchSize: 64, distributed }), /--batch 64 \(the global batch\) must divide evenly among the 3 ranks/);
  assert.equal(resolveTrainSettings({ out: 'm', batchSize: 63, distributed }).batchSize, 63);
});
