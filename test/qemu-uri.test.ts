import t from 'tap';
import { qemuUriProblem } from '../harness/attach/qemu-uri.js';

t.test('forms QEMU opens', async (t) => {
  for (const uri of [
    'rbd:rbd/vol',
    'rbd:pool/ns/vol',
    'rbd:rbd/vol@snap',
    'rbd:rbd/vol:id=admin:conf=/etc/ceph/ceph.conf',
    'gluster://host/vol/img',
    'gluster://host:24007/vol/dir/img',
    'gluster://[::1]:24007/vol/img',
    'gluster+tcp://host/vol/img',
    'gluster+unix:///vol/img?socket=/var/run/glusterd.socket',
    'nbd:host:10809',
    'nbd:unix:/tmp/nbd.sock',
    'nbd:host:10809:exportname=vol',
    'nbd://host/vol',
    'nbd://host:10809',
    'nbd+unix:///vol?socket=/tmp/s',
    'iscsi://10.0.0.1/iqn.2001-04.com.example:t/0',
    'iscsi://host:3260/iqn.x/12',
    'ssh://user@host/images/vol.img',
    'http://host/img.raw',
    'https://host/img.qcow2',
    'json:{"driver":"raw"}',
    '/dev/sdb',
  ]) {
    t.equal(qemuUriProblem(uri), null, uri);
  }
});

t.test('forms QEMU refuses', async (t) => {
  for (const uri of [
    'rbd:vol',
    'rbd:',
    'rbd:/vol',
    'rbd:rbd/vol:idadmin',
    'gluster://host/vol',
    'gluster:///vol/img',
    'gluster+unix:///vol/img',
    'gluster+unix://host/vol/img?socket=/x',
    'nbd:host',
    'nbd://',
    'nbd+unix:///vol',
    'iscsi://host/iqn',
    'ssh://host',
    'http://',
    'json:[1]',
    'json:{',
    'sheepdog:vol',
    'vol.img',
    'dev/sdb',
    'file.img',
    'foo://x/y',
  ]) {
    t.type(qemuUriProblem(uri), 'string', uri);
  }
});
