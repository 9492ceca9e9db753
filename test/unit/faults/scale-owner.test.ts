import { expect } from 'chai';
import type { V2HorizontalPodAutoscaler } from '@kubernetes/client-node';
import { autoscalerOf, autoscalerRefusal, type ScaledObject } from '../../../src/faults/scale-owner.js';

const hpa = (name: string, kind: string, target: string, keda?: string): V2HorizontalPodAutoscaler => ({
  metadata: { name, namespace: 'demo', ...(keda ? { ownerReferences: [{ apiVersion: 'keda.sh/v1alpha1', kind: 'ScaledObject', name: keda, uid: 'u', controller: true }] } : {}) },
  spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind, name: target }, minReplicas: 2, maxReplicas: 10 },
});
const so = (name: string, target: string, kind?: string): ScaledObject => ({ metadata: { name, namespace: 'demo' }, spec: { scaleTargetRef: { name: target, ...(kind ? { kind } : {}) } } });

describe('scale: who else scales the workload (HPA, KEDA)', () => {
  it('finds the HPA whose scaleTargetRef is the workload, by kind and name', () => {
    const hpas = [hpa('web', 'Deployment', 'web'), hpa('db', 'StatefulSet', 'db')];
    expect(autoscalerOf('deployment', 'web', hpas, [])).to.deep.equal({ hpa: 'web' });
    expect(autoscalerOf('statefulset', 'db', hpas, [])).to.deep.equal({ hpa: 'db' });
    expect(autoscalerOf('deployment', 'db', hpas, []), 'a StatefulSet named db is not deployment/db').to.equal(null);
    expect(autoscalerOf('deployment', 'api', hpas, [])).to.equal(null);
  });

  it('finds KEDA by its ScaledObject (Deployment when the kind is unset) or by the owner of its HPA', () => {
    expect(autoscalerOf('deployment', 'worker', [], [so('worker-so', 'worker')])).to.deep.equal({ scaledObject: 'worker-so' });
    expect(autoscalerOf('statefulset', 'worker', [], [so('worker-so', 'worker')])).to.equal(null);
    expect(autoscalerOf('deployment', 'web', [hpa('keda-hpa-web', 'Deployment', 'web', 'web-so')], [])).to.deep.equal({ hpa: 'keda-hpa-web', scaledObject: 'web-so' });
    expect(autoscalerOf('hpa', 'keda-hpa-web', [hpa('keda-hpa-web', 'Deployment', 'web', 'web-so')], [])).to.deep.equal({ hpa: 'keda-hpa-web', scaledObject: 'web-so' });
    expect(autoscalerOf('hpa', 'web', [hpa('web', 'Deployment', 'web')], []), 'an HPA of its own is scaled through its bounds').to.equal(null);
  });

  it('says why the step is refused and what to do instead', () => {
    expect(autoscalerRefusal('deployment', 'demo', 'web', { hpa: 'web' })).to.deep.equal({
      message: 'deployment/web in demo is scaled by hpa/web: it would set the replicas back within 15 s (its sync period)',
      hint: 'scale hpa/web with minReplicas/maxReplicas instead',
    });
    expect(autoscalerRefusal('deployment', 'demo', 'web', { hpa: 'keda-hpa-web', scaledObject: 'web-so' }).message)
      .to.equal('deployment/web in demo is scaled by KEDA (ScaledObject demo/web-so, through hpa/keda-hpa-web): it would set the replicas back within seconds');
  });
});
