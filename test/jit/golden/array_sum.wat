(module
 (type $0 (func (param i32 i32 i32) (result i32)))
 (type $1 (func (param i32 i32) (result i32)))
 (type $2 (func (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
 (type $3 (func (param i32) (result i32)))
 (import "e" "m" (memory $mimport$0 0))
 (import "e" "h" (func $fimport$0 (param i32 i32 i32) (result i32)))
 (import "e" "c" (func $fimport$1 (param i32 i32) (result i32)))
 (import "e" "s" (func $fimport$2 (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
 (export "0" (func $x86_00100005))
 (func $x86_00100005 (param $0 i32) (result i32)
  (local $1 i32)
  (local $2 i32)
  (local $3 i32)
  (local $4 i32)
  (local $5 i32)
  (local $6 i32)
  (local $7 i32)
  (local $8 i32)
  (local $9 i32)
  (local $10 i32)
  (local $11 i32)
  (local $12 i32)
  (local $13 i32)
  (local $14 i32)
  (local $15 i32)
  (local $16 i32)
  (local $17 i32)
  (local $18 i32)
  (local $19 i32)
  (local $20 i32)
  (local $21 i32)
  (local $22 i32)
  (local $23 i32)
  (local $24 i32)
  (local $25 i32)
  (local $26 i32)
  (local $27 i32)
  (i32.store offset=15269888
   (i32.const 45604)
   (i32.add
    (i32.load offset=15269888
     (i32.const 45604)
    )
    (i32.const 1)
   )
  )
  (@metadata.code.branch_hint "\00")
  (if
   (i32.ne
    (i32.and
     (i32.load offset=1460
      (i32.const 0)
     )
     (i32.const 67592)
    )
    (i32.const 67592)
   )
   (then
    (return
     (local.get $0)
    )
   )
  )
  (local.set $1
   (i32.load offset=1024
    (i32.const 0)
   )
  )
  (local.set $2
   (i32.load offset=1028
    (i32.const 0)
   )
  )
  (local.set $3
   (i32.load offset=1032
    (i32.const 0)
   )
  )
  (local.set $7
   (i32.load offset=1048
    (i32.const 0)
   )
  )
  (block $block3
   (loop $label
    (block $block2
     (block $block1
      (block $block
       (br_table $block $block1 $block2 $block
        (local.get $16)
       )
      )
      (@metadata.code.branch_hint "\00")
      (if
       (i32.or
        (i32.load offset=1452
         (i32.const 0)
        )
        (i32.lt_s
         (local.get $0)
         (i32.const 8)
        )
       )
       (then
        (local.set $17
         (i32.const 1048581)
        )
        (local.set $18
         (i32.const 2)
        )
        (br $block3)
       )
      )
      (local.set $0
       (i32.sub
        (local.get $0)
        (i32.const 8)
       )
      )
      (local.set $19
       (i32.add
        (i32.const 0)
        (local.get $7)
       )
      )
      (local.set $23
       (i32.const 5)
      )
      (block $block5
       (block $block4
        (@metadata.code.branch_hint "\00")
        (br_if $block4
         (i32.ne
          (i32.and
           (local.tee $20
            (i32.load offset=1048576
             (i32.shl
              (i32.shr_u
               (local.get $19)
               (i32.const 12)
              )
              (i32.const 2)
             )
            )
           )
           (i32.const 57)
          )
          (i32.const 1)
         )
        )
        (@metadata.code.branch_hint "\00")
        (br_if $block4
         (i32.gt_u
          (i32.and
           (local.get $19)
           (i32.const 4095)
          )
          (i32.const 4092)
         )
        )
        (i32.store offset=16777216
         (i32.or
          (i32.and
           (local.get $20)
           (i32.const -4096)
          )
          (i32.and
           (local.get $19)
           (i32.const 4095)
          )
         )
         (local.get $23)
        )
        (br $block5)
       )
       (drop
        (call $fimport$2
         (i32.const 5)
         (local.get $19)
         (local.get $23)
         (i32.const 1048581)
         (i32.const 1048587)
         (i32.add
          (local.get $0)
          (i32.const 7)
         )
         (i32.const 142)
         (local.get $1)
         (local.get $2)
         (local.get $3)
         (i32.const 0)
         (i32.const 0)
         (i32.const 0)
         (local.get $7)
         (i32.const 0)
        )
       )
      )
      (@metadata.code.branch_hint "\00")
      (if
       (i32.load offset=1452
        (i32.const 0)
       )
       (then
        (local.set $0
         (i32.add
          (local.get $0)
          (i32.const 7)
         )
        )
        (local.set $17
         (i32.const 1048587)
        )
        (local.set $18
         (i32.const 3)
        )
        (br $block3)
       )
      )
      (local.set $19
       (i32.add
        (i32.const 4)
        (local.get $7)
       )
      )
      (local.set $23
       (i32.const 7)
      )
      (block $block7
       (block $block6
        (@metadata.code.branch_hint "\00")
        (br_if $block6
         (i32.ne
          (i32.and
           (local.tee $20
            (i32.load offset=1048576
             (i32.shl
              (i32.shr_u
               (local.get $19)
               (i32.const 12)
              )
              (i32.const 2)
             )
            )
           )
           (i32.const 57)
          )
          (i32.const 1)
         )
        )
        (@metadata.code.branch_hint "\00")
        (br_if $block6
         (i32.gt_u
          (i32.and
           (local.get $19)
           (i32.const 4095)
          )
          (i32.const 4092)
         )
        )
        (i32.store offset=16777216
         (i32.or
          (i32.and
           (local.get $20)
           (i32.const -4096)
          )
          (i32.and
           (local.get $19)
           (i32.const 4095)
          )
         )
         (local.get $23)
        )
        (br $block7)
       )
       (drop
        (call $fimport$2
         (i32.const 5)
         (local.get $19)
         (local.get $23)
         (i32.const 1048587)
         (i32.const 1048594)
         (i32.add
          (local.get $0)
          (i32.const 6)
         )
         (i32.const 142)
         (local.get $1)
         (local.get $2)
         (local.get $3)
         (i32.const 0)
         (i32.const 0)
         (i32.const 0)
         (local.get $7)
         (i32.const 0)
        )
       )
      )
      (@metadata.code.branch_hint "\00")
      (if
       (i32.load offset=1452
        (i32.const 0)
       )
       (then
        (local.set $0
         (i32.add
          (local.get $0)
          (i32.const 6)
         )
        )
        (local.set $17
         (i32.const 1048594)
        )
        (local.set $18
         (i32.const 3)
        )
        (br $block3)
       )
      )
      (local.set $23
       (i32.const 2)
      )
      (local.set $2
       (local.get $23)
      )
      (local.set $22
       (local.get $1)
      )
      (local.set $21
       (local.get $1)
      )
      (local.set $23
       (i32.xor
        (local.get $21)
        (local.get $22)
       )
      )
      (local.set $1
       (local.get $23)
      )
      (local.set $9
       (i32.const 4)
      )
      (local.set $10
       (i32.const 32)
      )
      (local.set $11
       (local.get $21)
      )
      (local.set $12
       (local.get $22)
      )
      (local.set $13
       (local.get $23)
      )
      (local.set $14
       (i32.const 2261)
      )
      (local.set $19
       (i32.add
        (i32.const 0)
        (local.get $7)
       )
      )
      (local.set $22
       (block $block9 (result i32)
        (block $block8
         (@metadata.code.branch_hint "\00")
         (br_if $block8
          (i32.ne
           (i32.and
            (local.tee $20
             (i32.load offset=1048576
              (i32.shl
               (i32.shr_u
                (local.get $19)
                (i32.const 12)
               )
               (i32.const 2)
              )
             )
            )
            (i32.const 17)
           )
           (i32.const 1)
          )
         )
         (@metadata.code.branch_hint "\00")
         (br_if $block8
          (i32.gt_u
           (i32.and
            (local.get $19)
            (i32.const 4095)
           )
           (i32.const 4092)
          )
         )
         (br $block9
          (i32.load offset=16777216
           (i32.or
            (i32.and
             (local.get $20)
             (i32.const -4096)
            )
            (i32.and
             (local.get $19)
             (i32.const 4095)
            )
           )
          )
         )
        )
        (i32.store offset=1068
         (i32.const 0)
         (local.get $9)
        )
        (i32.store offset=1072
         (i32.const 0)
         (local.get $10)
        )
        (i32.store offset=1076
         (i32.const 0)
         (local.get $11)
        )
        (i32.store offset=1080
         (i32.const 0)
         (local.get $12)
        )
        (i32.store offset=1084
         (i32.const 0)
         (local.get $13)
        )
        (i32.store offset=1064
         (i32.const 0)
         (local.get $14)
        )
        (call $fimport$2
         (i32.const 2)
         (local.get $19)
         (i32.const 0)
         (i32.const 1048601)
         (i32.const 1048603)
         (i32.add
          (local.get $0)
          (i32.const 3)
         )
         (i32.const 142)
         (local.get $1)
         (local.get $2)
         (local.get $3)
         (i32.const 0)
         (i32.const 0)
         (i32.const 0)
         (local.get $7)
         (i32.const 0)
        )
       )
      )
      (local.set $21
       (local.get $1)
      )
      (local.set $23
       (i32.add
        (local.get $21)
        (local.get $22)
       )
      )
      (local.set $1
       (local.get $23)
      )
      (local.set $22
       (i32.const 4)
      )
      (local.set $21
       (local.get $7)
      )
      (local.set $23
       (i32.add
        (local.get $21)
        (local.get $22)
       )
      )
      (local.set $7
       (local.get $23)
      )
      (local.set $9
       (i32.const 0)
      )
      (local.set $10
       (i32.const 32)
      )
      (local.set $11
       (local.get $21)
      )
      (local.set $12
       (local.get $22)
      )
      (local.set $13
       (local.get $23)
      )
      (local.set $14
       (i32.const 2261)
      )
      (local.set $21
       (local.get $2)
      )
      (local.set $22
       (i32.const 1)
      )
      (local.set $23
       (i32.sub
        (local.get $21)
        (i32.const 1)
       )
      )
      (local.set $2
       (local.get $23)
      )
      (local.set $15
       (i32.or
        (i32.and
         (i32.load offset=1060
          (i32.const 0)
         )
         (i32.const -2)
        )
        (i32.lt_u
         (local.get $13)
         (local.get $11)
        )
       )
      )
      (local.set $9
       (i32.const 2)
      )
      (local.set $10
       (i32.const 32)
      )
      (local.set $11
       (local.get $21)
      )
      (local.set $12
       (local.get $22)
      )
      (local.set $13
       (local.get $23)
      )
      (local.set $14
       (i32.const 2261)
      )
      (local.set $14
       (i32.const 2260)
      )
      (if
       (i32.eqz
        (i32.eqz
         (local.get $13)
        )
       )
       (then
        (i32.store offset=1068
         (i32.const 0)
         (local.get $9)
        )
        (i32.store offset=1072
         (i32.const 0)
         (local.get $10)
        )
        (i32.store offset=1076
         (i32.const 0)
         (local.get $11)
        )
        (i32.store offset=1080
         (i32.const 0)
         (local.get $12)
        )
        (i32.store offset=1084
         (i32.const 0)
         (local.get $13)
        )
        (i32.store offset=1064
         (i32.const 0)
         (local.get $14)
        )
        (i32.store offset=1060
         (i32.const 0)
         (local.get $15)
        )
        (br $block1)
       )
      )
      (i32.store offset=1068
       (i32.const 0)
       (local.get $9)
      )
      (i32.store offset=1072
       (i32.const 0)
       (local.get $10)
      )
      (i32.store offset=1076
       (i32.const 0)
       (local.get $11)
      )
      (i32.store offset=1080
       (i32.const 0)
       (local.get $12)
      )
      (i32.store offset=1084
       (i32.const 0)
       (local.get $13)
      )
      (i32.store offset=1064
       (i32.const 0)
       (local.get $14)
      )
      (i32.store offset=1060
       (i32.const 0)
       (local.get $15)
      )
      (br $block2)
     )
     (@metadata.code.branch_hint "\00")
     (if
      (i32.or
       (i32.load offset=1452
        (i32.const 0)
       )
       (i32.lt_s
        (local.get $0)
        (i32.const 4)
       )
      )
      (then
       (local.set $17
        (i32.const 1048601)
       )
       (local.set $18
        (i32.const 2)
       )
       (br $block3)
      )
     )
     (local.set $0
      (i32.sub
       (local.get $0)
       (i32.const 4)
      )
     )
     (local.set $19
      (i32.add
       (i32.const 0)
       (local.get $7)
      )
     )
     (local.set $22
      (block $block11 (result i32)
       (block $block10
        (@metadata.code.branch_hint "\00")
        (br_if $block10
         (i32.ne
          (i32.and
           (local.tee $20
            (i32.load offset=1048576
             (i32.shl
              (i32.shr_u
               (local.get $19)
               (i32.const 12)
              )
              (i32.const 2)
             )
            )
           )
           (i32.const 17)
          )
          (i32.const 1)
         )
        )
        (@metadata.code.branch_hint "\00")
        (br_if $block10
         (i32.gt_u
          (i32.and
           (local.get $19)
           (i32.const 4095)
          )
          (i32.const 4092)
         )
        )
        (br $block11
         (i32.load offset=16777216
          (i32.or
           (i32.and
            (local.get $20)
            (i32.const -4096)
           )
           (i32.and
            (local.get $19)
            (i32.const 4095)
           )
          )
         )
        )
       )
       (call $fimport$2
        (i32.const 2)
        (local.get $19)
        (i32.const 0)
        (i32.const 1048601)
        (i32.const 1048603)
        (i32.add
         (local.get $0)
         (i32.const 3)
        )
        (i32.const 142)
        (local.get $1)
        (local.get $2)
        (local.get $3)
        (i32.const 0)
        (i32.const 0)
        (i32.const 0)
        (local.get $7)
        (i32.const 0)
       )
      )
     )
     (local.set $21
      (local.get $1)
     )
     (local.set $23
      (i32.add
       (local.get $21)
       (local.get $22)
      )
     )
     (local.set $1
      (local.get $23)
     )
     (local.set $22
      (i32.const 4)
     )
     (local.set $21
      (local.get $7)
     )
     (local.set $23
      (i32.add
       (local.get $21)
       (local.get $22)
      )
     )
     (local.set $7
      (local.get $23)
     )
     (local.set $9
      (i32.const 0)
     )
     (local.set $10
      (i32.const 32)
     )
     (local.set $11
      (local.get $21)
     )
     (local.set $12
      (local.get $22)
     )
     (local.set $13
      (local.get $23)
     )
     (local.set $14
      (i32.const 2261)
     )
     (local.set $21
      (local.get $2)
     )
     (local.set $22
      (i32.const 1)
     )
     (local.set $23
      (i32.sub
       (local.get $21)
       (i32.const 1)
      )
     )
     (local.set $2
      (local.get $23)
     )
     (local.set $15
      (i32.or
       (i32.and
        (i32.load offset=1060
         (i32.const 0)
        )
        (i32.const -2)
       )
       (i32.lt_u
        (local.get $13)
        (local.get $11)
       )
      )
     )
     (local.set $9
      (i32.const 2)
     )
     (local.set $10
      (i32.const 32)
     )
     (local.set $11
      (local.get $21)
     )
     (local.set $12
      (local.get $22)
     )
     (local.set $13
      (local.get $23)
     )
     (local.set $14
      (i32.const 2261)
     )
     (local.set $14
      (i32.const 2260)
     )
     (if
      (i32.eqz
       (i32.eqz
        (local.get $13)
       )
      )
      (then
       (i32.store offset=1068
        (i32.const 0)
        (local.get $9)
       )
       (i32.store offset=1072
        (i32.const 0)
        (local.get $10)
       )
       (i32.store offset=1076
        (i32.const 0)
        (local.get $11)
       )
       (i32.store offset=1080
        (i32.const 0)
        (local.get $12)
       )
       (i32.store offset=1084
        (i32.const 0)
        (local.get $13)
       )
       (i32.store offset=1064
        (i32.const 0)
        (local.get $14)
       )
       (i32.store offset=1060
        (i32.const 0)
        (local.get $15)
       )
       (local.set $16
        (i32.const 1)
       )
       (br $label)
      )
     )
     (i32.store offset=1068
      (i32.const 0)
      (local.get $9)
     )
     (i32.store offset=1072
      (i32.const 0)
      (local.get $10)
     )
     (i32.store offset=1076
      (i32.const 0)
      (local.get $11)
     )
     (i32.store offset=1080
      (i32.const 0)
      (local.get $12)
     )
     (i32.store offset=1084
      (i32.const 0)
      (local.get $13)
     )
     (i32.store offset=1064
      (i32.const 0)
      (local.get $14)
     )
     (i32.store offset=1060
      (i32.const 0)
      (local.get $15)
     )
    )
    (@metadata.code.branch_hint "\00")
    (if
     (i32.or
      (i32.load offset=1452
       (i32.const 0)
      )
      (i32.lt_s
       (local.get $0)
       (i32.const 3)
      )
     )
     (then
      (local.set $17
       (i32.const 1048609)
      )
      (local.set $18
       (i32.const 2)
      )
      (br $block3)
     )
    )
    (local.set $0
     (i32.sub
      (local.get $0)
      (i32.const 3)
     )
    )
    (local.set $22
     (i32.const 0)
    )
    (local.set $21
     (local.get $1)
    )
    (local.set $24
     (if (result i32)
      (i32.and
       (i32.load offset=1064
        (i32.const 0)
       )
       (i32.const 1)
      )
      (then
       (local.set $26
        (i32.shl
         (select
          (i32.load offset=1076
           (i32.const 0)
          )
          (i32.load offset=1084
           (i32.const 0)
          )
          (i32.and
           (i32.load offset=1068
            (i32.const 0)
           )
           (i32.const 2)
          )
         )
         (i32.sub
          (i32.const 32)
          (i32.load offset=1072
           (i32.const 0)
          )
         )
        )
       )
       (local.set $27
        (i32.shl
         (select
          (i32.load offset=1080
           (i32.const 0)
          )
          (i32.load offset=1076
           (i32.const 0)
          )
          (i32.and
           (i32.load offset=1068
            (i32.const 0)
           )
           (i32.const 2)
          )
         )
         (i32.sub
          (i32.const 32)
          (i32.load offset=1072
           (i32.const 0)
          )
         )
        )
       )
       (i32.and
        (select
         (i32.le_u
          (local.get $26)
          (local.get $27)
         )
         (i32.lt_u
          (local.get $26)
          (local.get $27)
         )
         (select
          (i32.load offset=1088
           (i32.const 0)
          )
          (i32.const 0)
          (i32.and
           (i32.load offset=1068
            (i32.const 0)
           )
           (i32.const 1)
          )
         )
        )
        (i32.lt_u
         (i32.load offset=1068
          (i32.const 0)
         )
         (i32.const 4)
        )
       )
      )
      (else
       (i32.and
        (i32.shr_u
         (i32.load offset=1060
          (i32.const 0)
         )
         (i32.const 0)
        )
        (i32.const 1)
       )
      )
     )
    )
    (local.set $23
     (i32.add
      (i32.add
       (local.get $21)
       (local.get $22)
      )
      (local.get $24)
     )
    )
    (local.set $1
     (local.get $23)
    )
    (local.set $9
     (i32.const 1)
    )
    (local.set $10
     (i32.const 32)
    )
    (local.set $11
     (local.get $21)
    )
    (local.set $12
     (local.get $22)
    )
    (local.set $13
     (local.get $23)
    )
    (local.set $14
     (i32.const 2261)
    )
    (local.set $25
     (local.get $24)
    )
    (local.set $23
     (i32.const 1048619)
    )
    (local.set $3
     (local.get $23)
    )
    (local.set $21
     (local.get $3)
    )
    (local.set $17
     (local.get $21)
    )
    (i32.store offset=1068
     (i32.const 0)
     (local.get $9)
    )
    (i32.store offset=1072
     (i32.const 0)
     (local.get $10)
    )
    (i32.store offset=1076
     (i32.const 0)
     (local.get $11)
    )
    (i32.store offset=1080
     (i32.const 0)
     (local.get $12)
    )
    (i32.store offset=1084
     (i32.const 0)
     (local.get $13)
    )
    (i32.store offset=1064
     (i32.const 0)
     (local.get $14)
    )
    (i32.store offset=1088
     (i32.const 0)
     (local.get $25)
    )
    (local.set $18
     (i32.const 0)
    )
    (br $block3)
   )
  )
  (i32.store offset=1024
   (i32.const 0)
   (local.get $1)
  )
  (i32.store offset=1028
   (i32.const 0)
   (local.get $2)
  )
  (i32.store offset=1032
   (i32.const 0)
   (local.get $3)
  )
  (i32.store offset=1048
   (i32.const 0)
   (local.get $7)
  )
  (i32.store offset=1056
   (i32.const 0)
   (local.get $17)
  )
  (block $block12
   (@metadata.code.branch_hint "\00")
   (br_if $block12
    (i32.ne
     (local.get $18)
     (i32.const 0)
    )
   )
   (local.set $24
    (i32.shl
     (i32.shr_u
      (i32.mul
       (local.get $17)
       (i32.const -1640531535)
      )
      (i32.const 18)
     )
     (i32.const 6)
    )
   )
   (@metadata.code.branch_hint "\00")
   (if
    (i32.ne
     (i32.load offset=10485760
      (local.get $24)
     )
     (local.get $17)
    )
    (then
     (local.set $24
      (i32.add
       (local.get $24)
       (i32.const 32)
      )
     )
     (@metadata.code.branch_hint "\00")
     (br_if $block12
      (i32.ne
       (i32.load offset=10485760
        (local.get $24)
       )
       (local.get $17)
      )
     )
    )
   )
   (local.set $26
    (i32.load offset=1188
     (i32.const 0)
    )
   )
   (@metadata.code.branch_hint "\00")
   (br_if $block12
    (i32.ne
     (i32.load offset=10485764
      (local.get $24)
     )
     (local.get $26)
    )
   )
   (@metadata.code.branch_hint "\00")
   (br_if $block12
    (i32.ne
     (i32.load offset=10485768
      (local.get $24)
     )
     (i32.or
      (i32.load offset=1468
       (i32.const 0)
      )
      (i32.const 2)
     )
    )
   )
   (@metadata.code.branch_hint "\00")
   (br_if $block12
    (i32.ne
     (i32.and
      (i32.load offset=1048576
       (i32.shl
        (i32.shr_u
         (i32.add
          (local.get $26)
          (local.get $17)
         )
         (i32.const 12)
        )
        (i32.const 2)
       )
      )
      (i32.const -4079)
     )
     (i32.load offset=10485776
      (local.get $24)
     )
    )
   )
   (i32.store offset=1864
    (i32.const 0)
    (i32.add
     (i32.load offset=1864
      (i32.const 0)
     )
     (i32.const 1)
    )
   )
   (return_call $fimport$1
    (local.get $0)
    (i32.load offset=10485772
     (local.get $24)
    )
   )
  )
  (i32.store offset=1840
   (i32.shl
    (local.get $18)
    (i32.const 2)
   )
   (i32.add
    (i32.load offset=1840
     (i32.shl
      (local.get $18)
      (i32.const 2)
     )
    )
    (i32.const 1)
   )
  )
  (local.get $0)
 )
)
